'use client';
// VE forms shared by the admin VE page and the customer portal; the caller supplies the mutation
// (ves.* or portal.*) and gets the queued task id back to follow it live.
import { useState, type FormEvent, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { formatAgo } from '@/app/_lib/format';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { Field } from '@/app/_components/Input';
import { SelectField } from '@/app/_components/Select';
import { ErrorAlert } from '@/app/_components/Alert';
import { Badge } from '@/app/_components/Badge';
import { ProgressBar, taskActor, taskTone } from '@/app/_components/TaskProgress';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';

type Run<I> = (input: I) => Promise<{ taskId: string }>;

/** Runs `run`, remembers its error, and reports the task id; one pending flag per form. */
function useAction<I>(run: Run<I>, onTask: (id: string) => void) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const go = async (input: I, after?: () => void) => {
    setPending(true);
    setError(null);
    try {
      const r = await run(input);
      onTask(r.taskId);
      after?.();
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };
  return { pending, error, go };
}

function Section({ title, subtitle, children, testId }: { title: string; subtitle?: ReactNode; children: ReactNode; testId?: string }) {
  return (
    <Card data-testid={testId}>
      <CardHeader title={title} subtitle={subtitle} />
      <CardBody>{children}</CardBody>
    </Card>
  );
}

export function PowerButtons({ state, actions, run, onTask, disabled }: {
  state: string; actions: readonly string[]; run: Run<string>; onTask: (id: string) => void; disabled?: boolean;
}) {
  const a = useAction(run, onTask);
  const label: Record<string, string> = { start: 'Start', stop: 'Stop', restart: 'Restart', kill: 'Kill', suspend: 'Suspend', resume: 'Resume' };
  const sensible: Record<string, string[]> = {
    start: ['stopped', 'error'], stop: ['running', 'error'], restart: ['running', 'stopped', 'error'], kill: ['running', 'error'], suspend: ['running'], resume: ['suspended'],
  };
  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex flex-wrap gap-2">
        {actions.map((x) => (
          <Button key={x} size="sm" variant={x === 'kill' ? 'danger' : 'secondary'} disabled={disabled || !sensible[x]?.includes(state)} loading={a.pending}
            onClick={() => a.go(x)} data-testid={`power-${x}`}>
            {label[x] ?? x}
          </Button>
        ))}
      </div>
      <ErrorAlert error={a.error} />
    </div>
  );
}

export function HostnameForm({ current, run, onTask, disabled }: { current: string; run: Run<string>; onTask: (id: string) => void; disabled?: boolean }) {
  const [v, setV] = useState(current);
  const a = useAction(run, onTask);
  const submit = (e: FormEvent) => { e.preventDefault(); void a.go(v.trim()); };
  return (
    <Section title="Hostname" subtitle="Applied live inside the VE." testId="hostname-form">
      <form onSubmit={submit} className="flex items-end gap-3">
        <div className="flex-1"><Field label="Hostname" value={v} onChange={(e) => setV(e.target.value)} maxLength={253} /></div>
        <Button type="submit" loading={a.pending} disabled={disabled || !v.trim() || v.trim() === current}>Rename</Button>
      </form>
      <ErrorAlert error={a.error} className="mt-3" />
    </Section>
  );
}

export function PasswordForm({ run, onTask, disabled }: { run: Run<string>; onTask: (id: string) => void; disabled?: boolean }) {
  const [v, setV] = useState('');
  const a = useAction(run, onTask);
  const submit = (e: FormEvent) => { e.preventDefault(); void a.go(v, () => setV('')); };
  return (
    <Section title="Root password" subtitle="Hashed before it leaves the panel; never stored in clear." testId="password-form">
      <form onSubmit={submit} className="flex items-end gap-3">
        <div className="flex-1"><Field label="New root password" type="password" autoComplete="new-password" value={v} onChange={(e) => setV(e.target.value)} /></div>
        <Button type="submit" loading={a.pending} disabled={disabled || v.length < 8}>Set password</Button>
      </form>
      <ErrorAlert error={a.error} className="mt-3" />
    </Section>
  );
}

export function ReinstallForm({ templates, current, run, onTask, disabled }: {
  templates: Array<{ id: string; name: string }>; current: string; run: Run<{ templateId: string; password?: string }>; onTask: (id: string) => void; disabled?: boolean;
}) {
  const [templateId, setTemplateId] = useState('');
  const [password, setPassword] = useState('');
  const [sure, setSure] = useState(false);
  const a = useAction(run, onTask);
  const submit = (e: FormEvent) => { e.preventDefault(); void a.go({ templateId, password: password || undefined }, () => { setSure(false); setPassword(''); }); };
  return (
    <Section title="Reinstall" subtitle={`Now: ${current}. Keeps the CTID, addresses and limits; erases everything on the disk.`} testId="reinstall-form">
      <form onSubmit={submit} className="space-y-3">
        <SelectField label="Template" value={templateId} onChange={(e) => setTemplateId(e.target.value)}>
          <option value="">Choose a template…</option>
          {templates.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
        </SelectField>
        <Field label="New root password (optional)" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} hint="Empty keeps the current one." />
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input type="checkbox" checked={sure} onChange={(e) => setSure(e.target.checked)} className="size-4 accent-red-600" /> I understand all data on this VE will be lost
        </label>
        <Button type="submit" variant="danger" loading={a.pending} disabled={disabled || !templateId || !sure}>Reinstall</Button>
      </form>
      <ErrorAlert error={a.error} className="mt-3" />
    </Section>
  );
}

/** Tasks of one VE with live progress bars; `portal` lists through portal.tasks (owner-scoped). */
export function VeTasks({ veId, portal, onOpen }: { veId: string; portal?: boolean; onOpen?: (taskId: string) => void }) {
  const trpc = useTRPC();
  const admin = useQuery({ ...trpc.tasks.list.queryOptions({ veId, pageSize: 20 }), enabled: !portal, refetchInterval: 2_000 });
  const mine = useQuery({ ...trpc.portal.tasks.queryOptions({ veId, pageSize: 20 }), enabled: !!portal, refetchInterval: 2_000 });
  const q = portal ? mine : admin;
  return (
    <Card data-testid="ve-tasks">
      <CardHeader title="Tasks" subtitle="Newest first; running ones update live." />
      <ErrorAlert error={q.error} className="m-4" />
      <Table>
        <THead><tr><Th>Type</Th><Th>Status</Th><Th className="w-48">Progress</Th><Th>Message</Th><Th>By</Th><Th>When</Th></tr></THead>
        <TBody>
          {q.data?.items.length === 0 && <EmptyRow colSpan={6}>No tasks yet.</EmptyRow>}
          {q.data?.items.map((t) => (
            <tr key={t.id} className="cursor-pointer hover:bg-slate-50" onClick={() => onOpen?.(t.id)} data-testid={`task-row-${t.type}`}>
              <Td className="font-mono text-xs">{t.type}</Td>
              <Td><Badge tone={taskTone(t.status)}>{t.status}</Badge></Td>
              <Td><ProgressBar value={t.progress} status={t.status} /></Td>
              <Td className="max-w-xs truncate text-slate-500">{t.error ?? t.message ?? ''}</Td>
              <Td className="text-slate-500">{taskActor(t)}</Td>
              <Td className="text-slate-500">{formatAgo(t.createdAt)}</Td>
            </tr>
          ))}
        </TBody>
      </Table>
    </Card>
  );
}
