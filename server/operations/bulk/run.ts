// The bulk.run task: a job's batches in rollout order (canary first), stopping at the failure
// threshold or a cancel, then the job's outcome and its audit row.
import type { BulkJob, BulkJobItem, BulkJobStatus, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import type { AgentClient } from '@/server/nodes/client';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { writeAudit } from '@/server/services/audit';
import { BULK_TASK } from '@/server/services/bulk/jobs';
import type { BulkAction } from '@/server/services/bulk/schemas';
import { execBatchOnNode } from './exec-batch';
import { taskBatch } from './task-batch';

const ENDED: BulkJobStatus[] = ['succeeded', 'partial', 'failed', 'cancelled'];

async function finishJob(prisma: PrismaClient, job: BulkJob, stopReason: string | null) {
  const groups = await prisma.bulkJobItem.groupBy({ by: ['status'], where: { bulkJobId: job.id }, _count: true });
  const n = (s: string) => groups.find((g) => g.status === s)?._count ?? 0;
  const cancelledJob = stopReason === 'cancelled';
  const status: BulkJobStatus = cancelledJob ? 'cancelled' : n('failed') + n('cancelled') === 0 ? 'succeeded' : n('succeeded') > 0 ? 'partial' : 'failed';
  const done = await prisma.bulkJob.update({ where: { id: job.id }, data: { status, stopReason, failures: n('failed'), finishedAt: new Date() } });
  const counts = { succeeded: n('succeeded'), failed: n('failed'), skipped: n('skipped'), cancelled: n('cancelled') };
  await writeAudit(prisma, {
    actorType: job.apiKeyId ? 'apiKey' : job.createdById ? 'user' : 'system', actorId: job.apiKeyId ?? job.createdById,
    action: 'bulk.job.finished', targetType: 'bulkJob', targetId: job.id, outcome: status === 'succeeded' ? 'success' : 'failure',
    details: { action: job.action, status, stopReason, total: job.total, ...counts },
  });
  return { status: done.status, stopReason, ...counts };
}

async function runJob(ctx: TaskContext) {
  const { prisma } = ctx;
  const jobId = taskParams(ctx, BULK_TASK).bulkJobId;
  if (!jobId) throw new AppError('INTERNAL', 'bulk.run task names no job');
  let job = await prisma.bulkJob.findUniqueOrThrow({ where: { id: jobId } });
  if (ENDED.includes(job.status)) return { status: job.status };
  job = await prisma.bulkJob.update({ where: { id: jobId }, data: { status: 'running', startedAt: job.startedAt ?? new Date() } });
  const action = job.params as BulkAction;
  const viaAgent = action.type === 'script' || action.type === 'packageUpdate';
  const batches = (await prisma.bulkJobItem.findMany({ where: { bulkJobId: jobId }, distinct: ['batch'], select: { batch: true }, orderBy: { batch: 'asc' } })).map((b) => b.batch);
  // Failures recorded by an earlier attempt of this task still count.
  let failures = await prisma.bulkJobItem.count({ where: { bulkJobId: jobId, status: 'failed' } });
  let finished = await prisma.bulkJobItem.count({ where: { bulkJobId: jobId, status: { notIn: ['queued', 'running'] } } });
  const cancelRequested = async () => !!(await prisma.bulkJob.findUnique({ where: { id: jobId }, select: { cancelRequestedAt: true } }))?.cancelRequestedAt;
  let lastProgress = 0;
  const onItemDone = (s: string) => {
    finished++;
    if (s === 'failed') failures++;
    if (Date.now() - lastProgress > 500) {
      lastProgress = Date.now();
      void ctx.progress((100 * finished) / job.total, `${finished}/${job.total} VEs, ${failures} failed`).catch(() => undefined);
    }
  };
  let stopReason: string | null = null;
  for (const b of batches) {
    if (await cancelRequested()) { stopReason = 'cancelled'; break; }
    if (job.stopAfterFailures != null && failures >= job.stopAfterFailures) {
      stopReason = `stopped after ${failures} failures (limit ${job.stopAfterFailures})`;
      break;
    }
    const items = await prisma.bulkJobItem.findMany({ where: { bulkJobId: jobId, batch: b }, orderBy: { ctid: 'asc' } });
    await ctx.log(`batch ${b === 0 ? '0 (canary)' : b}: ${items.length} VEs`);
    if (viaAgent) await runExecBatch(ctx, job, b, items, onItemDone, cancelRequested);
    else await taskBatch(prisma, job, items, onItemDone, cancelRequested);
    await prisma.bulkJob.update({ where: { id: jobId }, data: { failures } });
  }
  if (!stopReason && (await cancelRequested())) stopReason = 'cancelled';
  if (stopReason) {
    await prisma.bulkJobItem.updateMany({ where: { bulkJobId: jobId, status: 'queued' }, data: { status: 'cancelled', error: stopReason } });
    await ctx.log(stopReason, 'warn');
  }
  return finishJob(prisma, job, stopReason);
}

/** One batch through bulk.exec: one call per node at once; a cancel is passed on to the nodes. */
async function runExecBatch(ctx: TaskContext, job: BulkJob, batch: number, items: BulkJobItem[], onItemDone: (s: string) => void, cancelRequested: () => Promise<boolean>) {
  const byNode = new Map<string, BulkJobItem[]>();
  for (const i of items) {
    if (!i.nodeId || i.status === 'skipped') continue;
    byNode.set(i.nodeId, [...(byNode.get(i.nodeId) ?? []), i]);
  }
  const inflight = new Map<string, AgentClient>();
  let running = true;
  const watcher = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, 500));
      if (running && (await cancelRequested())) {
        for (const [opId, agent] of inflight) await agent.call('bulk.cancel', { opId }).catch(() => undefined);
        return;
      }
    }
  })();
  try {
    await Promise.all([...byNode].map(([nodeId, nodeItems]) => execBatchOnNode(ctx.prisma, nodeId, { job, items: nodeItems, opBase: `${ctx.opId}:b${batch}`, onItemDone, inflight })));
  } finally {
    running = false;
    await watcher;
  }
}

export function registerBulkTasks(): void {
  registerTaskHandler({
    type: BULK_TASK,
    run: runJob,
    async onFailed(ctx, e) {
      const jobId = taskParams(ctx, BULK_TASK).bulkJobId;
      if (!jobId) return;
      const reason = `runner failed: ${e instanceof Error ? e.message : String(e)}`;
      await ctx.prisma.bulkJobItem.updateMany({ where: { bulkJobId: jobId, status: { in: ['queued', 'running'] } }, data: { status: 'cancelled', error: reason } });
      const job = await ctx.prisma.bulkJob.findUnique({ where: { id: jobId } });
      if (job && !ENDED.includes(job.status)) await finishJob(ctx.prisma, job, reason);
    },
  });
}
