// One batch of a power / limits / migrate job: one ordinary per-VE task each (the same tasks the
// single-VE buttons queue), waited for, their outcome copied into the matrix.
import type { BulkJob, BulkJobItem, PrismaClient } from '@/server/db/client';
import { isAppError } from '@/server/errors';
import { taskHandler } from '@/server/operations/tasks/registry';
import { requestMigrateVe } from '@/server/operations/migrate';
import type { BulkAction } from '@/server/services/bulk/schemas';
import { requestPowerAction, requestSetLimits } from '@/server/services/ves/requests';

/** The per-VE task's id, or null when there is nothing to do (e.g. limits already equal). */
async function enqueueOne(prisma: PrismaClient, job: BulkJob, item: BulkJobItem): Promise<string | null> {
  const action = job.params as BulkAction;
  const actor = { role: 'admin' as const, userId: job.createdById, apiKeyId: job.apiKeyId };
  if (!item.veId) throw new Error('the VE no longer exists');
  if (action.type === 'power') return (await requestPowerAction(prisma, actor, item.veId, action.action)).taskId;
  if (action.type === 'limits') {
    return (await requestSetLimits(prisma, actor, item.veId, action.overrides)).taskId;
  }
  if (action.type === 'migrate') {
    if (!taskHandler('ve.migrate')) throw new Error('migration is not available on this panel (no ve.migrate task handler registered)');
    const r = await requestMigrateVe(prisma, actor, item.veId, { targetNodeId: action.targetNodeId, mode: action.mode });
    return r.taskId!;
  }
  throw new Error(`action ${action.type} is not a per-VE task`);
}

/** Queues one task per pending item of the batch, waits for all, and records each outcome. */
export async function taskBatch(prisma: PrismaClient, job: BulkJob, items: BulkJobItem[], onItemDone: (s: 'succeeded' | 'failed') => void, cancelled: () => Promise<boolean>): Promise<void> {
  const waiting = new Map<string, BulkJobItem>();
  for (const item of items) {
    if (item.status !== 'queued' && item.status !== 'running') continue;
    // A re-run of the bulk task finds the task queued by the previous attempt.
    let taskId = item.taskId;
    if (!taskId) {
      try {
        taskId = await enqueueOne(prisma, job, item);
      } catch (e) {
        const msg = isAppError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
        await prisma.bulkJobItem.update({ where: { id: item.id }, data: { status: 'failed', error: msg, finishedAt: new Date() } });
        onItemDone('failed');
        continue;
      }
      if (!taskId) {
        await prisma.bulkJobItem.update({ where: { id: item.id }, data: { status: 'succeeded', error: 'nothing to change', finishedAt: new Date() } });
        onItemDone('succeeded');
        continue;
      }
      await prisma.bulkJobItem.update({ where: { id: item.id }, data: { taskId, status: 'running', startedAt: new Date() } });
    }
    waiting.set(taskId, item);
  }
  while (waiting.size) {
    const tasks = await prisma.task.findMany({ where: { id: { in: [...waiting.keys()] }, status: { in: ['succeeded', 'failed', 'cancelled'] } } });
    for (const t of tasks) {
      const item = waiting.get(t.id)!;
      waiting.delete(t.id);
      const ok = t.status === 'succeeded';
      const durationMs = t.startedAt && t.finishedAt ? t.finishedAt.getTime() - t.startedAt.getTime() : null;
      await prisma.bulkJobItem.update({ where: { id: item.id }, data: { status: ok ? 'succeeded' : 'failed', error: ok ? null : t.error ?? t.status, durationMs, finishedAt: new Date() } });
      onItemDone(ok ? 'succeeded' : 'failed');
    }
    // A cancel stops the waiting only; queued per-VE tasks run on (each is a normal task).
    if (waiting.size && (await cancelled())) return;
    if (waiting.size) await new Promise((r) => setTimeout(r, 300));
  }
}
