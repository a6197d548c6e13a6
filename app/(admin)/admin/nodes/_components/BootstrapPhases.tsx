'use client';
// The node.bootstrap task as a list of phases: done, running now, failed, or still to come,
// read from the task's own log lines ("bootstrap: <phase>") while it runs.
import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { Alert, ErrorAlert } from '@/app/_components/Alert';
import { Badge } from '@/app/_components/Badge';
import { ProgressBar } from '@/app/_components/TaskProgress';

type Task = RouterOutputs['tasks']['get'];

const PHASES: Array<{ step: string; label: string }> = [
  { step: 'connect', label: 'Connect with the one-time credential' },
  { step: 'check OS and kernel', label: 'Check the OS and kernel features' },
  { step: 'apt-get', label: 'Install missing packages (if any)' },
  { step: 'copy agent', label: 'Copy the agent' },
  { step: 'agent account', label: 'Create the unprivileged agent account' },
  { step: 'write unit', label: 'Write the service unit' },
  { step: 'authorize panel key', label: "Authorize the panel's restricted key" },
  { step: 'start agent', label: 'Start the agent' },
  { step: 'verify with the restricted key', label: 'Verify with the restricted key only' },
  { step: 'first poll', label: 'First report: node online' },
];

// The failure kinds the task's message starts with (server/operations/nodes/explain.ts).
const KINDS = ['Unreachable', 'Authentication refused', 'Host key changed', 'Unsupported OS', 'Missing kernel feature'];

type PhaseState = 'done' | 'running' | 'failed' | 'todo' | 'skipped';

function phaseStates(seen: string[], status: string): PhaseState[] {
  const reached = (s: string) => seen.some((l) => l.startsWith(s));
  let last = -1;
  PHASES.forEach((p, i) => { if (reached(p.step)) last = i; });
  if (status === 'succeeded') return PHASES.map((p) => (p.step === 'apt-get' && !reached('apt-get') ? 'skipped' : 'done'));
  return PHASES.map((p, i) => {
    if (p.step === 'apt-get' && !reached('apt-get') && last > i) return 'skipped';
    if (i < last) return 'done';
    if (i === last) return status === 'failed' ? 'failed' : 'running';
    return 'todo';
  });
}

const TONE = { done: 'green', running: 'indigo', failed: 'red', todo: 'slate', skipped: 'slate' } as const;

export function BootstrapPhases({ taskId, onDone }: { taskId: string; onDone?: (t: Task) => void }) {
  const trpc = useTRPC();
  const [lines, setLines] = useState<string[]>([]);
  const [after, setAfter] = useState(0);
  const [done, setDone] = useState(false);
  const q = useQuery({ ...trpc.tasks.get.queryOptions({ id: taskId, afterLogId: after }), refetchInterval: done ? false : 1000, staleTime: 0 });
  useEffect(() => {
    const t = q.data;
    if (!t) return;
    if (t.logs.length) {
      setLines((cur) => [...cur, ...t.logs.map((l) => l.line.replace(/^bootstrap: /, ''))]);
      setAfter(t.logs[t.logs.length - 1].id);
    }
    if (['succeeded', 'failed', 'cancelled'].includes(t.status) && !done) {
      setDone(true);
      onDone?.(t);
    }
  }, [q.data, done, onDone]);
  const t = q.data;
  const status = t?.status ?? 'queued';
  const states = phaseStates(lines, status);
  const kind = t?.error ? KINDS.find((k) => t.error!.startsWith(`${k}:`)) : undefined;
  return (
    <div className="space-y-3" data-testid="bootstrap" data-status={status}>
      <ProgressBar value={t?.progress ?? 0} status={status} />
      <ol className="space-y-1.5">
        {PHASES.map((p, i) => (
          <li key={p.step} className="flex items-center gap-2 text-sm" data-testid={`phase-${p.step.replaceAll(' ', '-')}`} data-state={states[i]}>
            <Badge tone={TONE[states[i]]}>{states[i] === 'running' ? 'now' : states[i]}</Badge>
            <span className={states[i] === 'todo' ? 'text-slate-400' : 'text-slate-800'}>{p.label}</span>
          </li>
        ))}
      </ol>
      {status === 'failed' && <Alert tone="error" title={kind ?? 'Bootstrap failed'} data-testid="bootstrap-error">{t?.error}</Alert>}
      {status === 'succeeded' && <Alert tone="success" title="Node online" data-testid="bootstrap-done">The agent answered through the restricted key; the panel now polls this node.</Alert>}
      <ErrorAlert error={q.error} />
    </div>
  );
}
