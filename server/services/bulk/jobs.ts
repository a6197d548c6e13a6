// Bulk jobs: create (exact selection -> items in rollout batches + one bulk.run task), matrix, cancel, re-run failed.
import type { BulkItemStatus, Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { writeAudit } from '@/server/services/audit';
import { parseOrBadInput } from '@/server/services/plans/limits';
import type { Actor } from '@/server/services/ves/scope';
import { CreateBulkJobInput, type BulkAction, type BulkRollout } from './schemas';
import { resolveSelection, skipReason, type SelectedVe } from './select';

export const BULK_TASK = 'bulk.run' as const;
const TX = { maxWait: 10_000, timeout: 60_000 };
const FINAL_ITEM: BulkItemStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

/** Rollout order: the canary first (batch 0), then batches of batchSize (1, 2, …). */
export function assignBatches(n: number, r: Pick<BulkRollout, 'canarySize' | 'batchSize'>): number[] {
  const out: number[] = [];
  const canary = Math.min(r.canarySize, n);
  for (let i = 0; i < n; i++) out.push(i < canary ? 0 : r.batchSize > 0 ? 1 + Math.floor((i - canary) / r.batchSize) : 1);
  return out;
}

const actorAudit = (a: Actor) => (a.apiKeyId ? { actorType: 'apiKey' as const, actorId: a.apiKeyId } : a.userId ? { actorType: 'user' as const, actorId: a.userId } : { actorType: 'system' as const });

async function insertJob(prisma: PrismaClient, actor: Actor, ves: SelectedVe[], action: BulkAction, rollout: BulkRollout, selector: unknown, rerunOfId?: string) {
  if (!ves.length) throw new AppError('UNPROCESSABLE', 'the selection names no VEs');
  const batches = assignBatches(ves.length, rollout);
  const job = await prisma.$transaction(async (tx) => {
    const task = await enqueueTaskTx(tx, { type: BULK_TASK, params: {}, queue: null, userId: actor.userId ?? null, apiKeyId: actor.apiKeyId ?? null, maxAttempts: 5 });
    const j = await tx.bulkJob.create({
      data: {
        action: action.type, params: action as Prisma.InputJsonValue, selector: selector as Prisma.InputJsonValue, total: ves.length,
        concurrency: rollout.concurrency, canarySize: rollout.canarySize, batchSize: rollout.batchSize, stopAfterFailures: rollout.stopAfterFailures ?? null,
        taskId: task.id, createdById: actor.userId ?? null, apiKeyId: actor.apiKeyId ?? null, rerunOfId: rerunOfId ?? null,
      },
    });
    await tx.task.update({ where: { id: task.id }, data: { params: { bulkJobId: j.id } } });
    await tx.bulkJobItem.createMany({
      data: ves.map((v, i) => {
        const skip = skipReason(v, action);
        return { bulkJobId: j.id, veId: v.id, ctid: v.ctid, nodeId: v.nodeId, batch: batches[i], status: skip ? 'skipped' as const : 'queued' as const, error: skip ?? null };
      }),
    });
    return j;
  }, TX);
  await writeAudit(prisma, {
    ...actorAudit(actor), action: 'bulk.job.created', targetType: 'bulkJob', targetId: job.id, outcome: 'success',
    details: { action, rollout, selector, total: ves.length, rerunOfId: rerunOfId ?? null },
  });
  return { jobId: job.id, taskId: job.taskId!, total: ves.length };
}

/**
 * Creates a bulk job over the exact current selection and queues its runner. `expectTotal` (the
 * preview's count) guards against acting on a set that changed after the admin looked at it.
 */
export async function createBulkJob(prisma: PrismaClient, actor: Actor, raw: CreateBulkJobInput) {
  const input = parseOrBadInput(CreateBulkJobInput, raw);
  const ves = await resolveSelection(prisma, input.selector);
  if (input.expectTotal !== undefined && input.expectTotal !== ves.length) {
    throw new AppError('CONFLICT', `the selection now names ${ves.length} VEs, not the ${input.expectTotal} previewed; preview again`, { total: ves.length });
  }
  return insertJob(prisma, actor, ves, input.action, input.rollout, input.selector);
}

/** Asks a running job to stop: no further batch starts and the node stops starting VEs; running ones finish. */
export async function cancelBulkJob(prisma: PrismaClient, jobId: string) {
  const job = await prisma.bulkJob.findUnique({ where: { id: jobId } });
  if (!job) throw new AppError('NOT_FOUND', 'bulk job not found');
  if (['succeeded', 'partial', 'failed', 'cancelled'].includes(job.status)) throw new AppError('UNPROCESSABLE', `the job already ended (${job.status})`);
  await prisma.bulkJob.update({ where: { id: jobId }, data: { cancelRequestedAt: job.cancelRequestedAt ?? new Date() } });
  // A job whose runner has not started yet ends right here.
  if (job.status === 'queued') {
    await prisma.bulkJobItem.updateMany({ where: { bulkJobId: jobId, status: 'queued' }, data: { status: 'cancelled', error: 'job cancelled' } });
    await prisma.bulkJob.update({ where: { id: jobId }, data: { status: 'cancelled', stopReason: 'cancelled', finishedAt: new Date() } });
  }
  return { jobId, cancelRequested: true };
}

/** A new job, same action and rollout, over only the VEs that failed (or were cut off) in `jobId`. */
export async function rerunFailedBulkJob(prisma: PrismaClient, actor: Actor, jobId: string, opts: { includeCancelled?: boolean } = {}) {
  const job = await prisma.bulkJob.findUnique({ where: { id: jobId } });
  if (!job) throw new AppError('NOT_FOUND', 'bulk job not found');
  if (!['succeeded', 'partial', 'failed', 'cancelled'].includes(job.status)) throw new AppError('UNPROCESSABLE', 'the job is still running; cancel it or wait for it to end');
  const statuses: BulkItemStatus[] = opts.includeCancelled ? ['failed', 'cancelled'] : ['failed'];
  const items = await prisma.bulkJobItem.findMany({ where: { bulkJobId: jobId, status: { in: statuses }, veId: { not: null } }, select: { ctid: true } });
  if (!items.length) throw new AppError('UNPROCESSABLE', 'no failed VEs to re-run');
  const selector = { ctids: items.map((i) => i.ctid) };
  const ves = await resolveSelection(prisma, selector);
  const rollout: BulkRollout = { canarySize: job.canarySize, batchSize: job.batchSize, concurrency: job.concurrency, stopAfterFailures: job.stopAfterFailures ?? undefined };
  return insertJob(prisma, actor, ves, job.params as BulkAction, rollout, selector, job.id);
}

/** The job, its counts per item status and its per-VE result matrix (one page). */
export async function getBulkJob(prisma: PrismaClient, jobId: string, o: { status?: BulkItemStatus[]; page?: number; pageSize?: number } = {}) {
  const job = await prisma.bulkJob.findUnique({ where: { id: jobId }, include: { task: { select: { id: true, status: true, progress: true, message: true, error: true } } } });
  if (!job) throw new AppError('NOT_FOUND', 'bulk job not found');
  const page = o.page ?? 1;
  const pageSize = o.pageSize ?? 500;
  const where: Prisma.BulkJobItemWhereInput = { bulkJobId: jobId, ...(o.status ? { status: { in: o.status } } : {}) };
  const [groups, items, matched] = await Promise.all([
    prisma.bulkJobItem.groupBy({ by: ['status'], where: { bulkJobId: jobId }, _count: true }),
    prisma.bulkJobItem.findMany({
      where, orderBy: [{ batch: 'asc' }, { ctid: 'asc' }], skip: (page - 1) * pageSize, take: pageSize,
      include: { ve: { select: { hostname: true, node: { select: { name: true } } } } },
    }),
    prisma.bulkJobItem.count({ where }),
  ]);
  const counts = Object.fromEntries(['queued', 'running', ...FINAL_ITEM].map((s) => [s, groups.find((g) => g.status === s)?._count ?? 0])) as Record<BulkItemStatus, number>;
  const { params, ...rest } = job;
  // The script text itself is shown only cut short (it may carry secrets the admin pasted).
  const action = params as Record<string, unknown>;
  const shown = typeof action.script === 'string' ? { ...action, script: action.script.length > 2000 ? `${action.script.slice(0, 2000)}…` : action.script } : action;
  return {
    ...rest, params: shown, counts, page, pageSize, matched,
    items: items.map(({ ve, ...i }) => ({ ...i, hostname: ve?.hostname ?? null, node: ve?.node.name ?? null })),
  };
}
