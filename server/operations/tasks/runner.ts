// The graphile-worker task "task.run": loads a Task row, runs its handler, records the outcome.
import type { Task as GraphileTask } from 'graphile-worker';
import type { Prisma, PrismaClient, Task, TaskStatus } from '@/server/db/client';
import { AppError, isAppError, type AppErrorCode } from '@/server/errors';
import { logger } from '@/server/logger';
import { taskHandler, type TaskContext } from './registry';
import { runTaskFinishedHooks } from './hooks';

/** Failures worth another attempt: the agent journal makes the retry act at most once. */
const RETRYABLE: ReadonlySet<AppErrorCode> = new Set(['NODE_OFFLINE', 'BUSY']);

const clampPct = (n: number) => Math.max(0, Math.min(100, Math.round(n)));

/** Least time between two progress writes of one task made by progressLater. */
export const PROGRESS_GAP_MS = 250;

async function notify(prisma: PrismaClient, taskId: string) {
  await prisma.$executeRaw`SELECT pg_notify('vz_task', ${taskId}::text)`;
}

/**
 * A task's progress and log writes, in call order, one at a time (agent notifications arrive
 * faster than the database takes them, and unordered writes could leave progress 80 on a finished
 * task). Progress calls that pile up while a write is in flight collapse into the latest one.
 * Each write and its NOTIFY are one statement. `flush()` resolves once everything is written.
 */
function taskWriter(prisma: PrismaClient, taskId: string) {
  let chain: Promise<void> = Promise.resolve();
  let pending: { pct: number; message?: string } | null = null;
  let queued: Promise<void> | null = null;
  // progressLater: a write held back until PROGRESS_GAP_MS after the last one (each is an UPDATE + NOTIFY).
  let lastWrite = 0;
  let later: NodeJS.Timeout | undefined;
  const writeNow = () => {
    if (later) clearTimeout(later);
    later = undefined;
    queued ??= enqueue(writeProgress);
    return queued;
  };
  // A failed write is logged and never rejects: progress and log lines must not fail the task.
  const enqueue = (op: () => Promise<unknown>): Promise<void> => {
    chain = chain.then(op).then(() => undefined, (err) => logger.warn({ err, taskId }, 'task progress/log write failed'));
    return chain;
  };
  const writeProgress = async () => {
    const p = pending;
    pending = null;
    queued = null; // calls from now on need a write of their own
    if (!p) return;
    lastWrite = Date.now();
    await prisma.$executeRaw`WITH u AS (
        UPDATE "Task" SET "progress" = ${clampPct(p.pct)}, "message" = COALESCE(${p.message ?? null}::text, "message"), "updatedAt" = now()
        WHERE "id" = ${taskId} RETURNING "id")
      SELECT pg_notify('vz_task', "id") FROM u`;
  };
  return {
    progress(pct: number, message?: string): Promise<void> {
      pending = { pct, message: message ?? pending?.message };
      return writeNow();
    },
    progressLater(pct: number, message?: string): void {
      pending = { pct, message: message ?? pending?.message };
      if (queued || later) return; // the write already on its way takes this value
      const wait = lastWrite + PROGRESS_GAP_MS - Date.now();
      if (wait <= 0) void writeNow();
      else later = setTimeout(writeNow, wait);
    },
    log(line: string, level: 'info' | 'warn' | 'error'): Promise<void> {
      return enqueue(() => prisma.$executeRaw`WITH i AS (
          INSERT INTO "TaskLog" ("taskId", "line", "level") VALUES (${taskId}, ${line.slice(0, 4000)}, ${level}) RETURNING "taskId")
        SELECT pg_notify('vz_task', "taskId") FROM i`);
    },
    flush: () => (later ? writeNow() : chain).then(() => chain),
    /**
     * Like flush, but hands back the progress not written yet instead of writing it: a task that
     * succeeded records it with its outcome (progress 100 and the last message, one UPDATE).
     */
    async settle(): Promise<{ pct: number; message?: string } | null> {
      if (later) clearTimeout(later);
      later = undefined;
      const p = pending;
      pending = null; // a write already queued finds nothing to write
      await chain;
      return p;
    },
  };
}

type RunContext = TaskContext & Pick<ReturnType<typeof taskWriter>, 'flush' | 'settle'>;

function context(prisma: PrismaClient, task: Task, attempt: number, maxAttempts: number): RunContext {
  const w = taskWriter(prisma, task.id);
  return {
    task,
    prisma,
    opId: task.opId,
    attempt,
    isLastAttempt: attempt >= maxAttempts,
    log: (line, level = 'info') => w.log(line, level),
    progress: (pct, message) => w.progress(pct, message),
    progressLater: (pct, message) => w.progressLater(pct, message),
    flush: w.flush,
    settle: w.settle,
  };
}

async function finish(prisma: PrismaClient, taskId: string, data: Prisma.TaskUpdateInput) {
  const done = await prisma.task.update({ where: { id: taskId }, data: { ...data, finishedAt: new Date() } });
  await notify(prisma, taskId);
  await runTaskFinishedHooks(prisma, done);
}

/**
 * Ends a task that cannot be run again (its job is used up) as failed, after its cleanup hook,
 * which sees an error with data.outcomeUnknown: the node may or may not have done the work.
 */
export async function failTaskWithoutRun(prisma: PrismaClient, taskId: string, message: string): Promise<void> {
  const task = await prisma.task.findUnique({ where: { id: taskId } });
  if (!task || task.status === 'succeeded' || task.status === 'failed' || task.status === 'cancelled') return;
  const ctx = context(prisma, task, task.attempts, task.attempts);
  await ctx.log(message, 'error');
  try {
    await taskHandler(task.type)?.onFailed?.(ctx, new AppError('INTERNAL', message, { outcomeUnknown: true }));
  } catch (cleanupError) {
    await ctx.log(`cleanup after failure also failed: ${(cleanupError as Error).message}`, 'error');
  }
  await ctx.flush();
  await finish(prisma, taskId, { status: 'failed', error: message, errorCode: 'INTERRUPTED' });
}

/** Builds the graphile-worker task function bound to a Prisma client. */
export function taskRunner(prisma: PrismaClient): GraphileTask {
  return async (payload, helpers) => {
    const { taskId } = payload as { taskId: string };
    const attempt = helpers.job.attempts;
    const maxAttempts = helpers.job.max_attempts;
    // Deleted or already ended: nothing to do. Otherwise it turns running, its first attempt
    // stamping startedAt: one statement on a first attempt (a read and a write before; a
    // fleet-wide power action runs thousands of tasks).
    const open = { id: taskId, status: { in: ['queued', 'running'] satisfies TaskStatus[] } };
    const [first] = await prisma.task.updateManyAndReturn({ where: { ...open, startedAt: null }, data: { status: 'running', attempts: attempt, startedAt: new Date() } });
    const running = first ?? (await prisma.task.updateManyAndReturn({ where: open, data: { status: 'running', attempts: attempt } }))[0];
    if (!running) return;
    const ctx = context(prisma, running, attempt, maxAttempts);
    const handler = taskHandler(running.type);
    if (!handler) {
      await finish(prisma, taskId, { status: 'failed', error: `no handler for task type ${running.type}`, errorCode: 'INTERNAL' });
      return;
    }
    try {
      const result = await handler.run(ctx);
      const last = await ctx.settle();
      await finish(prisma, taskId, { status: 'succeeded', progress: 100, ...(last?.message !== undefined ? { message: last.message } : {}), result: (result ?? {}) as Prisma.InputJsonValue });
    } catch (e) {
      const code: AppErrorCode = isAppError(e) ? e.code : 'INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      if ((RETRYABLE.has(code) || handler.retryable?.(e)) && !ctx.isLastAttempt) {
        await ctx.log(`attempt ${attempt} of ${maxAttempts} failed (${code}): ${message}; retrying`, 'warn');
        await ctx.flush();
        await prisma.task.update({ where: { id: taskId }, data: { status: 'queued', message } });
        throw e; // graphile-worker retries with exponential backoff
      }
      logger.warn({ taskId, type: running.type, code, err: message }, 'task failed');
      await ctx.log(message, 'error');
      try {
        await handler.onFailed?.(ctx, e);
      } catch (cleanupError) {
        await ctx.log(`cleanup after failure also failed: ${(cleanupError as Error).message}`, 'error');
      }
      await ctx.flush();
      await finish(prisma, taskId, { status: 'failed', error: message, errorCode: isAppError(e) ? e.code : (e as { code?: string }).code ?? code });
    }
  };
}
