'use client';
// Admin-only VE forms: live limits (with what needs a restart said plainly) and destroy behind a typed CTID.
import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { Alert, ErrorAlert } from '@/app/_components/Alert';

const FIELDS = [
  { key: 'ram', label: 'RAM (MiB)' },
  { key: 'swap', label: 'Swap (MiB)' },
  { key: 'cpus', label: 'CPUs' },
  { key: 'cpulimit', label: 'CPU limit (% of one CPU, 0 = none)' },
  { key: 'cpuunits', label: 'CPU weight' },
  { key: 'diskspace', label: 'Disk (MiB)' },
  { key: 'numproc', label: 'Processes' },
  { key: 'ioprio', label: 'I/O priority (0–7)' },
  { key: 'iolimit', label: 'Disk throughput (MB/s, 0 = none)' },
  { key: 'iopslimit', label: 'Disk IOPS (0 = none)' },
] as const;

type Change = RouterOutputs['ves']['setLimits'];

function describe(c: Change): string {
  if (!c.changes.length) return 'Nothing changed.';
  const parts = c.changes.map((x) => `${x.field} ${x.from ?? '—'} → ${x.to}`).join(', ');
  const restart = c.needsRestart.length ? `Needs a restart to take effect: ${c.needsRestart.join(', ')}.` : 'Nothing needs a restart: every change applies live.';
  return `Changing ${parts}. ${restart}`;
}

export function LimitsForm({ veId, limits, overrides, onTask }: { veId: string; limits: Record<string, number>; overrides: Record<string, number>; onTask: (id: string) => void }) {
  const trpc = useTRPC();
  const [values, setValues] = useState<Record<string, string>>({});
  const set = useMutation(trpc.ves.setLimits.mutationOptions({
    onSuccess: (r) => { setValues({}); if (r.taskId) onTask(r.taskId); },
  }));
  const changed = Object.fromEntries(
    Object.entries(values).filter(([k, v]) => v !== '' && Number(v) !== limits[k]).map(([k, v]) => [k, Number(v)]),
  );
  const submit = (e: FormEvent) => { e.preventDefault(); set.mutate({ id: veId, overrides: changed }); };
  return (
    <Card data-testid="limits-form">
      <CardHeader title="Limits" subtitle="Applied to the running VE at once. Overridden fields are marked; a plan change keeps them." />
      <CardBody>
        <form onSubmit={submit} className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          {FIELDS.map((f) => (
            <Field key={f.key} label={<>{f.label}{f.key in overrides && <span className="ml-1 text-xs text-indigo-600">override</span>}</>} type="number" name={f.key}
              value={values[f.key] ?? String(limits[f.key] ?? '')} onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))} data-testid={`limit-${f.key}`} />
          ))}
          <div className="flex items-end sm:col-span-2 lg:col-span-4">
            <Button type="submit" loading={set.isPending} disabled={!Object.keys(changed).length} data-testid="limits-apply">Apply limits</Button>
          </div>
        </form>
        <ErrorAlert error={set.error} className="mt-3" />
        {set.data && <Alert tone="success" className="mt-3" data-testid="limits-result">{describe(set.data)}</Alert>}
      </CardBody>
    </Card>
  );
}

export function DestroyForm({ veId, ctid, onTask }: { veId: string; ctid: number; onTask: (id: string) => void }) {
  const trpc = useTRPC();
  const [confirm, setConfirm] = useState('');
  const destroy = useMutation(trpc.ves.destroy.mutationOptions({ onSuccess: (r) => onTask(r.taskId) }));
  return (
    <Card className="border-red-200" data-testid="destroy-form">
      <CardHeader title="Destroy" subtitle="Stops the VE, deletes its disk and frees its addresses. This cannot be undone." />
      <CardBody>
        <form onSubmit={(e) => { e.preventDefault(); destroy.mutate({ id: veId, confirm }); }} className="flex items-end gap-3">
          <div className="flex-1"><Field label={`Type ${ctid} to confirm`} value={confirm} onChange={(e) => setConfirm(e.target.value)} inputMode="numeric" /></div>
          <Button type="submit" variant="danger" loading={destroy.isPending} disabled={confirm.trim() !== String(ctid)} data-testid="destroy-submit">Destroy VE {ctid}</Button>
        </form>
        <ErrorAlert error={destroy.error} className="mt-3" />
      </CardBody>
    </Card>
  );
}
