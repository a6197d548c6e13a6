'use client';
// Migrate a VE (admin): every other node with its free capacity and the dry run's pre-flight checks,
// the mode that would be used and why (CRIU's reason from each node's capabilities), then the live
// phases of the ve.migrate task and the pause the VE saw.
import { useState } from 'react';
import { useMutation, useQueries, useQuery } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { formatBytes } from '@/app/_lib/format';
import { cn } from '@/app/_lib/cn';
import { Dialog } from '@/app/_components/Dialog';
import { Button } from '@/app/_components/Button';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { Badge, NodeStateBadge } from '@/app/_components/Badge';
import { TaskProgress } from '@/app/_components/TaskProgress';

type Plan = RouterOutputs['ves']['migratePlan'];
type Task = RouterOutputs['tasks']['get'];

function PlanDetail({ plan }: { plan: Plan }) {
  return (
    <div className="space-y-3 text-sm" data-testid="migrate-plan">
      <p><span className="text-slate-500">Mode:</span> <Badge tone="indigo" data-testid="migrate-mode">{plan.mode}</Badge></p>
      <p className="text-slate-700" data-testid="migrate-reason">{plan.reason}</p>
      <p className="text-slate-500">Phases: {plan.phases.join(' → ')} · image {formatBytes(plan.imageBytes)}, {formatBytes(plan.usedBytes)} used</p>
      <ul className="space-y-1" data-testid="migrate-checks">
        {plan.checks.map((c) => (
          <li key={c.name} className={cn('flex gap-2', c.ok ? 'text-slate-700' : 'text-red-700')} data-testid="migrate-check" data-ok={c.ok}>
            <span aria-hidden>{c.ok ? '✓' : '✗'}</span><span className="font-medium">{c.name}</span><span className="text-slate-500">{c.detail}</span>
          </li>
        ))}
      </ul>
      <div className="grid gap-2 sm:grid-cols-2" data-testid="migrate-capabilities">
        {plan.nodes.map((n) => (
          <div key={n.role} className="rounded border border-slate-200 p-2 text-xs">
            <p className="font-medium">{n.role}: {n.name}</p>
            <p>agent {n.agentVersion} · LXC {n.lxcVersion} · cgroup {n.cgroup}</p>
            <p className={n.criu.usable ? 'text-emerald-700' : 'text-amber-800'}>CRIU {n.criu.usable ? 'usable' : 'not usable'}: {n.criu.reason}</p>
          </div>
        ))}
      </div>
    </div>
  );
}

// Reads the finished task itself (not the snapshot TaskProgress reported): a retried attempt may
// report an intermediate state before the migration's own result is written.
function Pause({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.tasks.get.queryOptions({ id: taskId, afterLogId: 2_000_000_000 }),
    refetchInterval: (query) => (query.state.data?.status === 'succeeded' ? false : 2000),
  });
  const t = q.data;
  if (!t || t.status !== 'succeeded') return null;
  const r = (t.result ?? {}) as { pauseMs?: number; mode?: string; retriedFrom?: { mode: string; error: string } };
  return (
    <Alert tone="success" className="mt-3" data-testid="migrate-done">
      Migrated{r.mode ? ` (${r.mode})` : ''}.{r.retriedFrom && <span data-testid="migrate-retried"> The {r.retriedFrom.mode} attempt failed first ({r.retriedFrom.error}); it was retried two-pass.</span>} {r.pauseMs !== undefined ? <>The VE was paused for <span className="font-semibold" data-testid="migrate-pause">{r.pauseMs} ms</span>.</> : 'The VE was stopped: no pause to report.'}
    </Alert>
  );
}

export function VeMigrateDialog({ ve, onClose, onDone }: { ve: { id: string; ctid: number; node: { id: string } }; onClose: () => void; onDone: () => void }) {
  const trpc = useTRPC();
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const others = (nodes.data ?? []).filter((n) => n.id !== ve.node.id);
  const plans = useQueries({ queries: others.map((n) => ({ ...trpc.ves.migratePlan.queryOptions({ id: ve.id, targetNodeId: n.id }), retry: false })) });
  const [target, setTarget] = useState<string | null>(null);
  const [task, setTask] = useState<Task | null>(null);
  const [taskId, setTaskId] = useState<string | null>(null);
  const [retryTwoPass, setRetryTwoPass] = useState(false);
  const run = useMutation(trpc.ves.migrate.mutationOptions({ onSuccess: (r) => setTaskId(r.taskId) }));
  const idx = others.findIndex((n) => n.id === target);
  const plan = idx >= 0 ? plans[idx] : undefined;
  const running = !!taskId && (!task || !['succeeded', 'failed', 'cancelled'].includes(task.status));
  return (
    <Dialog title={`Migrate VE ${ve.ctid}`} onClose={onClose} busy={running} testId="migrate-dialog">
      {nodes.isPending && <p className="text-sm text-slate-500">Loading nodes…</p>}
      <ErrorAlert error={nodes.error} />
      {nodes.data && !others.length && <Alert tone="info" data-testid="migrate-no-nodes">There is no other node to migrate to. Add one on the Nodes page.</Alert>}
      {!taskId && others.length > 0 && (
        <table className="mb-4 w-full text-sm" data-testid="migrate-targets">
          <thead><tr className="text-left text-xs uppercase text-slate-500"><th className="py-1" /><th>Node</th><th>Free RAM</th><th>Free disk</th><th>Pre-flight</th></tr></thead>
          <tbody>
            {others.map((n, i) => {
              const p = plans[i];
              const failed = p.data?.checks.filter((c) => !c.ok) ?? [];
              return (
                <tr key={n.id} className="border-t border-slate-100" data-testid={`migrate-target-${n.name}`}>
                  <td className="py-2 pr-2"><input type="radio" name="target" value={n.id} checked={target === n.id} onChange={() => setTarget(n.id)} aria-label={n.name} /></td>
                  <td>{n.name} <NodeStateBadge state={n.state} />{n.maintenance && <Badge tone="amber" className="ml-1">maintenance</Badge>}</td>
                  <td className="tabular-nums">{formatBytes(n.info?.memory.availableBytes)}</td>
                  <td className="tabular-nums">{formatBytes(n.info?.disk.freeBytes)}</td>
                  <td>
                    {p.isPending ? <span className="text-slate-400">checking…</span>
                      : p.error ? <span className="text-red-700">{p.error.message}</span>
                        : failed.length ? <span className="text-red-700">{failed.map((c) => c.name).join(', ')} failed</span>
                          : <span className="text-emerald-700">all {p.data?.checks.length} passed · {p.data?.mode}</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {!taskId && plan?.data && <PlanDetail plan={plan.data} />}
      {!taskId && plan?.data?.mode === 'online-criu' && (
        <label className="mt-3 flex items-center gap-2 text-sm">
          <input type="checkbox" checked={retryTwoPass} onChange={(e) => setRetryTwoPass(e.target.checked)} data-testid="migrate-retry-two-pass" />
          If live migration fails, retry two-pass (the VE keeps running on the source, then moves with a restart)
        </label>
      )}
      {!taskId && plan?.error && <ErrorAlert error={plan.error} />}
      <ErrorAlert error={run.error} className="mt-3" />
      {taskId && <TaskProgress taskId={taskId} title="Migration" onDone={(t) => { setTask(t); onDone(); }} />}
      {taskId && <Pause taskId={taskId} />}
      <div className="mt-4 flex justify-end gap-2">
        {!taskId && <Button variant="secondary" onClick={() => plan?.refetch()} disabled={!plan} data-testid="migrate-dry-run">Dry run again</Button>}
        {!taskId && (
          <Button onClick={() => target && run.mutate({ id: ve.id, targetNodeId: target, retryTwoPass: retryTwoPass && plan?.data?.mode === 'online-criu' })} loading={run.isPending}
            disabled={!plan?.data || plan.data.checks.some((c) => !c.ok)} data-testid="migrate-start">Migrate</Button>
        )}
        {taskId && <Button variant="secondary" onClick={onClose} disabled={running} data-testid="migrate-close">Close</Button>}
      </div>
    </Dialog>
  );
}
