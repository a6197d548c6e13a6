// The graphile-worker task "task.run": loads a Task row, runs its handler, records the outcome.
import type { Task as GraphileTask } from 'graphile-worker';
import type { Prisma, PrismaClient, Task } from '@/server/db/client';
import { AppError, isAppError, type AppErrorCode } from '@/server/errors';
import { logger } from '@/server/logger';
import { taskHandler, type TaskContext } from './registry';
import { runTaskFinishedHooks } from './hooks';

/** Failures worth another attempt: the agent journal makes the retry act at most once. */
const RETRYABLE: ReadonlySet<AppErrorCode> = new Set(['NODE_OFFLINE', 'BUSY']);

const clampPct = (n: number) => Math.max(0, Math.min(100, Math.round(n)));

async function notify(prisma: PrismaClient, taskId: string) {
  await prisma.$executeRaw`SELECT pg_notify('vz_task', ${taskId}::text)`;
}

function context(prisma: PrismaClient, task: Task, attempt: number, maxAttempts: number): TaskContext {
  return {
    task,
    prisma,
    opId: task.opId,
    attempt,
    isLastAttempt: attempt >= maxAttempts,
    async log(line, level = 'info') {
      await prisma.taskLog.create({ data: { taskId: task.id, line: line.slice(0, 4000), level } });
      await notify(prisma, task.id);
    },
    async progress(pct, message) {
      await prisma.task.update({ where: { id: task.id }, data: { progress: clampPct(pct), ...(message ? { message } : {}) } });
      await notify(prisma, task.id);
    },
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
  await finish(prisma, taskId, { status: 'failed', error: message, errorCode: 'INTERRUPTED' });
}

/** Builds the graphile-worker task function bound to a Prisma client. */
export function taskRunner(prisma: PrismaClient): GraphileTask {
  return async (payload, helpers) => {
    const { taskId } = payload as { taskId: string };
    const task = await prisma.task.findUnique({ where: { id: taskId } });
    if (!task) return; // deleted: nothing to do
    if (task.status === 'succeeded' || task.status === 'failed' || task.status === 'cancelled') return;
    const attempt = helpers.job.attempts;
    const maxAttempts = helpers.job.max_attempts;
    const running = await prisma.task.update({
      where: { id: taskId },
      data: { status: 'running', attempts: attempt, startedAt: task.startedAt ?? new Date() },
    });
    const ctx = context(prisma, running, attempt, maxAttempts);
    const handler = taskHandler(task.type);
    if (!handler) {
      await finish(prisma, taskId, { status: 'failed', error: `no handler for task type ${task.type}`, errorCode: 'INTERNAL' });
      return;
    }
    try {
      const result = await handler.run(ctx);
      await finish(prisma, taskId, { status: 'succeeded', progress: 100, result: (result ?? {}) as Prisma.InputJsonValue });
    } catch (e) {
      const code: AppErrorCode = isAppError(e) ? e.code : 'INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      if (RETRYABLE.has(code) && !ctx.isLastAttempt) {
        await ctx.log(`attempt ${attempt} of ${maxAttempts} failed (${code}): ${message}; retrying`, 'warn');
        await prisma.task.update({ where: { id: taskId }, data: { status: 'queued', message } });
        throw e; // graphile-worker retries with exponential backoff
      }
      logger.warn({ taskId, type: task.type, code, err: message }, 'task failed');
      await ctx.log(message, 'error');
      try {
        await handler.onFailed?.(ctx, e);
      } catch (cleanupError) {
        await ctx.log(`cleanup after failure also failed: ${(cleanupError as Error).message}`, 'error');
      }
      await finish(prisma, taskId, { status: 'failed', error: message, errorCode: isAppError(e) ? e.code : (e as { code?: string }).code ?? code });
    }
  };
}
