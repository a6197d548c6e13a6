'use client';
// Evacuation: a dry run first (each VE, the node placement would pick and why), then the run,
// N at a time, with each VE's own migration progress live and the outcome table at the end.
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/app/_lib/trpc';
import { Card, CardBody, CardHeader } from '@/app/_components/Card';
import { Button } from '@/app/_components/Button';
import { SelectField } from '@/app/_components/Select';
import { ErrorAlert, Alert } from '@/app/_components/Alert';
import { Badge } from '@/app/_components/Badge';
import { ProgressBar, taskTone } from '@/app/_components/TaskProgress';
import { Table, THead, TBody, Th, Td, EmptyRow } from '@/app/_components/Table';
import { ConfirmAction } from './Confirm';
import type { NodeView } from './NodeActions';

const DONE = ['succeeded', 'failed', 'cancelled'];

function EvacuationRun({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const [done, setDone] = useState(false);
  const q = useQuery({ ...trpc.nodes.evacuation.queryOptions({ taskId }), refetchInterval: done ? false : 1000 });
  const d = q.data;
  const finished = !!d && DONE.includes(d.task.status) && d.rows.every((r) => !['queued', 'running', 'pending'].includes(r.status));
  useEffect(() => { if (finished) setDone(true); }, [finished]);
  const count = (s: string) => d?.rows.filter((r) => r.status === s).length ?? 0;
  return (
    <div className="space-y-3" data-testid="evacuation-run" data-status={d?.task.status ?? 'loading'}>
      <ErrorAlert error={q.error} />
      {d && (
        <>
          <div className="flex items-center justify-between text-sm">
            <span>Evacuation of {d.node?.name ?? 'the node'}, {d.concurrency} at a time <span className="font-mono text-xs text-slate-400">{taskId}</span></span>
            <Badge tone={taskTone(d.task.status)} data-testid="evacuation-status">{d.task.status}</Badge>
          </div>
          <ProgressBar value={d.task.progress} status={d.task.status} />
          {done && (
            <Alert tone={count('failed') || count('skipped') ? 'warning' : 'success'} title="Evacuation finished" data-testid="evacuation-result">
              {count('succeeded')} moved, {count('failed')} failed, {count('skipped')} skipped.{d.task.error ? ` ${d.task.error}` : ''}
            </Alert>
          )}
        </>
      )}
      <Table>
        <THead><tr><Th>VE</Th><Th>Target</Th><Th>Status</Th><Th className="w-48">Progress</Th><Th>Mode</Th><Th>Pause</Th><Th>Detail</Th></tr></THead>
        <TBody>
          {q.isPending && <EmptyRow colSpan={7}>Loading…</EmptyRow>}
          {d?.rows.length === 0 && <EmptyRow colSpan={7}>No VE to move.</EmptyRow>}
          {d?.rows.map((r) => (
            <tr key={r.veId} data-testid={`evac-row-${r.ctid}`} data-status={r.status}>
              <Td className="font-mono">{r.ctid ?? '—'} <span className="font-sans text-slate-500">{r.hostname}</span></Td>
              <Td>{r.target?.name ?? '—'}</Td>
              <Td><Badge tone={taskTone(r.status === 'skipped' ? 'cancelled' : r.status)}>{r.status}</Badge></Td>
              <Td>{r.taskId ? <ProgressBar value={r.progress} status={r.status} /> : '—'}</Td>
              <Td>{r.mode ?? '—'}</Td>
              <Td>{r.pauseMs !== null ? `${r.pauseMs} ms` : '—'}</Td>
              <Td className="max-w-md whitespace-normal text-xs text-slate-600">{r.reason ?? r.message ?? ''}</Td>
            </tr>
          ))}
        </TBody>
      </Table>
    </div>
  );
}

export function EvacuateCard({ node }: { node: NodeView }) {
  const trpc = useTRPC();
  const [concurrency, setConcurrency] = useState(2);
  const [taskId, setTaskId] = useState<string | null>(null);
  const dry = useMutation(trpc.nodes.evacuate.mutationOptions());
  const run = useMutation(trpc.nodes.evacuate.mutationOptions({ onSuccess: (r) => setTaskId(r.taskId) }));
  // VEs the admin unticked in the plan stay where they are.
  const [left, setLeft] = useState<Set<string>>(new Set());
  const items = dry.data?.items ?? [];
  const chosen = items.filter((i) => i.status !== 'skipped' && !left.has(i.veId));
  const movable = chosen.length;
  const toggle = (id: string) => setLeft((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  return (
    <Card data-testid="evacuate-card">
      <CardHeader title="Evacuate" subtitle="Move every VE off this node to the nodes placement picks (most room left, same plan group, addresses served)." />
      <CardBody className="space-y-4">
        {!taskId && (
          <div className="flex flex-wrap items-end gap-3">
            <div className="w-48">
              <SelectField label="Migrations at once" value={String(concurrency)} onChange={(e) => setConcurrency(Number(e.target.value))} data-testid="evac-concurrency">
                {[1, 2, 3, 4, 6, 8].map((n) => <option key={n} value={n}>{n}</option>)}
              </SelectField>
            </div>
            <Button variant="secondary" loading={dry.isPending} onClick={() => { setLeft(new Set()); dry.mutate({ nodeId: node.id, dryRun: true }); }} data-testid="evac-dry-run">Dry run</Button>
          </div>
        )}
        <ErrorAlert error={dry.error ?? run.error} />
        {dry.data && !taskId && (
          <>
            <Table data-testid="evac-plan">
              <THead><tr><Th className="w-8" /><Th>VE</Th><Th>Target node</Th><Th>Why</Th></tr></THead>
              <TBody>
                {items.length === 0 && <EmptyRow colSpan={4}>This node holds no VEs: nothing to evacuate.</EmptyRow>}
                {items.map((i) => (
                  <tr key={i.veId} data-testid={`evac-plan-${i.ctid}`}>
                    <Td>{i.status !== 'skipped' && <input type="checkbox" className="size-4 accent-indigo-600" aria-label={`Move VE ${i.ctid}`} checked={!left.has(i.veId)} onChange={() => toggle(i.veId)} data-testid={`evac-pick-${i.ctid}`} />}</Td>
                    <Td className="font-mono">{i.ctid} <span className="font-sans text-slate-500">{i.hostname}</span></Td>
                    <Td>{i.target ? i.target.name : <Badge tone="red">skipped</Badge>}</Td>
                    <Td className="max-w-xl whitespace-normal text-xs text-slate-600">{i.status === 'skipped' ? i.reason : i.why}</Td>
                  </tr>
                ))}
              </TBody>
            </Table>
            {movable > 0 && (
              <ConfirmAction testId="evac-run" variant="primary" label={`Evacuate ${movable} VE(s)…`} confirmLabel="Start evacuation" busy={run.isPending}
                title={`Move ${movable} VE(s) off ${node.name}, ${concurrency} at a time?`}
                onConfirm={() => run.mutate({ nodeId: node.id, veIds: chosen.map((i) => i.veId), concurrency })}>
                Running VEs are paused briefly while they move; each target is chosen again when the VE&apos;s turn comes.
              </ConfirmAction>
            )}
          </>
        )}
        {taskId && <EvacuationRun taskId={taskId} />}
      </CardBody>
    </Card>
  );
}
