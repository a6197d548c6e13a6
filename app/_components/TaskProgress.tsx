'use client';
// Follows one task live: progress bar, status, latest message and the log as it grows.
// Polls tasks.get every second (only new log lines each time) until the task has finished.
import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTRPC, type RouterOutputs } from '@/app/_lib/trpc';
import { cn } from '@/app/_lib/cn';
import { Badge, type Tone } from '@/app/_components/Badge';
import { ErrorAlert } from '@/app/_components/Alert';

type Task = RouterOutputs['tasks']['get'];
type LogLine = Task['logs'][number];

const DONE = new Set(['succeeded', 'failed', 'cancelled']);
/** Who started a task, as the task lists show it. */
export const taskActor = (t: { viaApiKey: boolean; userEmail: string | null }): string => (t.viaApiKey ? 'API key' : t.userEmail ?? 'system');

export const taskTone = (s: string): Tone => (s === 'succeeded' ? 'green' : s === 'failed' ? 'red' : s === 'running' ? 'indigo' : s === 'cancelled' ? 'slate' : 'amber');

/** A thin progress bar for a task (0..100). */
export function ProgressBar({ value, status }: { value: number; status: string }) {
  const color = status === 'failed' ? 'bg-red-500' : status === 'succeeded' ? 'bg-emerald-500' : 'bg-indigo-500';
  return (
    <div className="h-2 w-full overflow-hidden rounded-full bg-slate-100" role="progressbar" aria-valuenow={value} aria-valuemin={0} aria-valuemax={100} data-testid="task-progress-bar">
      <div className={cn('h-full rounded-full transition-all', color, status === 'running' && 'animate-pulse')} style={{ width: `${Math.max(2, value)}%` }} />
    </div>
  );
}

export function TaskProgress({ taskId, onDone, title, showLog = true }: { taskId: string; onDone?: (t: Task) => void; title?: string; showLog?: boolean }) {
  const trpc = useTRPC();
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [after, setAfter] = useState(0);
  const [done, setDone] = useState(false);
  const reported = useRef(false);
  const q = useQuery({
    ...trpc.tasks.get.queryOptions({ id: taskId, afterLogId: after }),
    refetchInterval: done ? false : 1000,
    staleTime: 0,
  });
  useEffect(() => {
    setLogs([]); setAfter(0); setDone(false); reported.current = false;
  }, [taskId]);
  useEffect(() => {
    const t = q.data;
    if (!t) return;
    if (t.logs.length) {
      setLogs((cur) => [...cur, ...t.logs.filter((l) => !cur.some((c) => c.id === l.id))]);
      setAfter(t.logs[t.logs.length - 1].id);
    }
    if (DONE.has(t.status) && !reported.current) {
      reported.current = true;
      setDone(true);
      onDone?.(t);
    }
  }, [q.data, onDone]);
  const t = q.data;
  return (
    <div className="rounded-md border border-slate-200 bg-slate-50 p-3" data-testid="task" data-task-id={taskId} data-status={t?.status ?? 'loading'}>
      <div className="mb-2 flex items-center justify-between gap-3 text-sm">
        <span className="font-medium text-slate-800">{title ?? t?.type ?? 'Task'}{t?.ctid ? ` · VE ${t.ctid}` : ''}</span>
        <span className="flex items-center gap-2">
          {t && <span className="tabular-nums text-slate-500" data-testid="task-percent">{t.progress}%</span>}
          {t && <Badge tone={taskTone(t.status)} data-testid="task-status">{t.status}</Badge>}
        </span>
      </div>
      <ProgressBar value={t?.progress ?? 0} status={t?.status ?? 'queued'} />
      {t?.message && <p className="mt-1.5 truncate text-xs text-slate-600" data-testid="task-message">{t.message}</p>}
      {t?.status === 'failed' && <p className="mt-1.5 text-sm text-red-700" data-testid="task-error">{t.error}</p>}
      <ErrorAlert error={q.error} className="mt-2" />
      {showLog && logs.length > 0 && (
        <pre className="mt-2 max-h-48 overflow-auto rounded bg-slate-900 p-2 font-mono text-[11px] leading-relaxed text-slate-100" data-testid="task-log">
          {logs.map((l) => `${l.ts.slice(11, 19)} ${l.level === 'info' ? '' : l.level.toUpperCase() + ' '}${l.line}`).join('\n')}
        </pre>
      )}
    </div>
  );
}
