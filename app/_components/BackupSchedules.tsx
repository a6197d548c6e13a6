'use client';
// Backup schedules per plan (admin): when (daily or weekly, a UTC window each VE starts in at its own
// stable minute), where (a storage) and how long backups are kept (daily/weekly/monthly).
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Field } from '@/app/_components/Input';
import { SelectField } from '@/app/_components/Select';
import { Button } from '@/app/_components/Button';
import { ErrorAlert } from '@/app/_components/Alert';
import { Badge } from '@/app/_components/Badge';
import { EmptyRow, TBody, Td, Th, THead, Table } from '@/app/_components/Table';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const minutes = (s: string) => { const [h, m] = s.split(':').map(Number); return h * 60 + (m || 0); };

export function BackupSchedules() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const schedules = useQuery(trpc.backups.schedules.queryOptions());
  const plans = useQuery(trpc.plans.list.queryOptions());
  const storages = useQuery(trpc.backups.storages.queryOptions());
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.backups.schedules.queryKey() });
  const empty = { planId: '', storageId: '', frequency: 'daily' as 'daily' | 'weekly', weekday: '0', start: '02:00', windowMinutes: '240', keepDaily: '7', keepWeekly: '4', keepMonthly: '3' };
  const [f, setF] = useState(empty);
  const [confirm, setConfirm] = useState<string | null>(null);
  const save = useMutation(trpc.backups.scheduleSet.mutationOptions({ onSuccess: () => { setF(empty); void refresh(); } }));
  const remove = useMutation(trpc.backups.scheduleRemove.mutationOptions({ onSuccess: () => { setConfirm(null); void refresh(); } }));
  const planName = (id: string | null) => plans.data?.find((p) => p.id === id)?.name ?? id ?? '';
  const storageName = (id: string) => storages.data?.find((s) => s.id === id)?.name ?? id;
  const set = (k: keyof typeof empty) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setF({ ...f, [k]: e.target.value });

  return (
    <Card data-testid="backup-schedules">
      <CardHeader title="Schedules" subtitle="Per plan: every VE of the plan is backed up once per period, at its own minute inside the window (UTC), at most a few at a time per node." />
      <CardBody className="space-y-4">
        <ErrorAlert error={schedules.error ?? remove.error} />
        <Table>
          <THead><tr><Th>Plan</Th><Th>When (UTC)</Th><Th>Storage</Th><Th>Keep</Th><Th /></tr></THead>
          <TBody>
            {schedules.isLoading && <EmptyRow colSpan={5}>Loading…</EmptyRow>}
            {schedules.data?.length === 0 && <EmptyRow colSpan={5}>No schedule: backups run only when someone asks.</EmptyRow>}
            {schedules.data?.map((s) => (
              <tr key={s.id} data-testid={`schedule-${s.id}`}>
                <Td>{s.planId ? planName(s.planId) : <Badge>one VE</Badge>}{!s.enabled && <Badge className="ml-2">off</Badge>}</Td>
                <Td>{s.frequency === 'weekly' ? `${DAYS[s.weekday]}s` : 'Daily'}, {hhmm(s.windowStart)}–{hhmm((s.windowStart + s.windowMinutes) % 1440)}</Td>
                <Td>{storageName(s.storageId)}</Td>
                <Td>{s.keepDaily} daily, {s.keepWeekly} weekly, {s.keepMonthly} monthly</Td>
                <Td className="text-right whitespace-nowrap">
                  {confirm === s.id
                    ? <><Button size="sm" variant="danger" loading={remove.isPending} onClick={() => remove.mutate({ id: s.id })}>Remove schedule</Button> <Button size="sm" variant="secondary" onClick={() => setConfirm(null)}>Keep</Button></>
                    : <Button size="sm" variant="secondary" onClick={() => setConfirm(s.id)}>Remove</Button>}
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
        <form className="grid grid-cols-2 gap-3 sm:grid-cols-5" onSubmit={(e) => {
          e.preventDefault();
          save.mutate({
            planId: f.planId, storageId: f.storageId, frequency: f.frequency, weekday: Number(f.weekday), windowStart: minutes(f.start), windowMinutes: Number(f.windowMinutes),
            keepDaily: Number(f.keepDaily), keepWeekly: Number(f.keepWeekly), keepMonthly: Number(f.keepMonthly),
          });
        }}>
          <SelectField label="Plan" value={f.planId} onChange={set('planId')} required data-testid="schedule-plan">
            <option value="">Choose…</option>
            {plans.data?.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </SelectField>
          <SelectField label="Storage" value={f.storageId} onChange={set('storageId')} required data-testid="schedule-storage">
            <option value="">Choose…</option>
            {storages.data?.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </SelectField>
          <SelectField label="Every" value={f.frequency} onChange={set('frequency')}>
            <option value="daily">day</option>
            <option value="weekly">week</option>
          </SelectField>
          {f.frequency === 'weekly'
            ? <SelectField label="On" value={f.weekday} onChange={set('weekday')}>{DAYS.map((d, i) => <option key={d} value={i}>{d}</option>)}</SelectField>
            : <div />}
          <Field label="Window opens (UTC)" type="time" value={f.start} onChange={set('start')} required />
          <Field label="Window length (min)" inputMode="numeric" value={f.windowMinutes} onChange={set('windowMinutes')} required />
          <Field label="Keep daily" inputMode="numeric" value={f.keepDaily} onChange={set('keepDaily')} required />
          <Field label="Keep weekly" inputMode="numeric" value={f.keepWeekly} onChange={set('keepWeekly')} required />
          <Field label="Keep monthly" inputMode="numeric" value={f.keepMonthly} onChange={set('keepMonthly')} required />
          <div className="flex items-end"><Button type="submit" loading={save.isPending} data-testid="schedule-save">Save schedule</Button></div>
        </form>
        <ErrorAlert error={save.error} />
      </CardBody>
    </Card>
  );
}
