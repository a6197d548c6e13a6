// Live view of one task: its row and new log lines each time the runner notifies vz_task.
import type { Prisma, PrismaClient } from '@/server/db/client';
import { getTaskRow, taskLogs, TERMINAL } from '@/server/services/tasks';
import { taskEvents } from './events';

export type TaskSnapshot = Awaited<ReturnType<typeof getTaskRow>>;
export type LogLine = Awaited<ReturnType<typeof taskLogs>>[number];

export interface TaskUpdate {
  task: TaskSnapshot;
  /** Log lines added since the previous update (all of them in the first one, after `afterLogId`). */
  logs: LogLine[];
  /** Id of the last log line sent so far (resume point). */
  lastLogId: number;
}

/**
 * Yields the task now, then again whenever it changes, until it ends (succeeded, failed,
 * cancelled) or `signal` aborts. Authorizes once, through `scope`, before anything is sent
 * (NOT_FOUND for someone else's task). Bursts of notifications collapse into one re-read, and
 * a re-read happens every `recheckMs` anyway, so a missed notification only delays an update.
 */
export async function* watchTask(
  prisma: PrismaClient,
  taskId: string,
  opts: { scope?: Prisma.TaskWhereInput; afterLogId?: number; signal?: AbortSignal; recheckMs?: number; url?: string } = {},
): AsyncGenerator<TaskUpdate> {
  await getTaskRow(prisma, taskId, opts.scope);
  let dirty: boolean | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  const off = await taskEvents(opts.url).watch(taskId, poke);
  opts.signal?.addEventListener('abort', poke);
  let lastLogId = opts.afterLogId ?? 0;
  let lastStamp = '';
  try {
    while (!opts.signal?.aborted) {
      dirty = false;
      const task = await getTaskRow(prisma, taskId, opts.scope);
      const logs = await taskLogs(prisma, taskId, lastLogId);
      if (logs.length) lastLogId = logs[logs.length - 1].id;
      const stamp = `${task.updatedAt.getTime()}:${task.status}:${task.progress}`;
      if (logs.length || stamp !== lastStamp) yield { task, logs, lastLogId };
      lastStamp = stamp;
      if (TERMINAL.has(task.status)) return;
      if (!dirty) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, opts.recheckMs ?? 10_000).unref();
        });
        wake = undefined;
      }
    }
  } finally {
    off();
    opts.signal?.removeEventListener('abort', poke);
  }
}
