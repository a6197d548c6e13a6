// Task "backup.create": the node takes a point-in-time copy of the VE (brief freeze) and streams it to
// the repository while the VE runs. Unreachable, full or locked storage fails the attempt and retries.
import type { PrismaClient } from '@/server/db/client';
import { AppError, isAppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { enqueueTask } from '@/server/services/tasks/enqueue';
import { agentForNode, taskCallOptions } from '@/server/operations/ve/agent';
import { emitBackupEvent } from './events';
import { agentCodeOf, describeRepoError, isTransientRepoError, repoSpecOf } from './repo';

async function load(prisma: PrismaClient, backupId: string) {
  const b = await prisma.backup.findUnique({ where: { id: backupId }, include: { storage: true } });
  if (!b) throw new AppError('INTERNAL', `backup ${backupId} is gone`);
  return b;
}

/** The repository error re-said with the storage's name, keeping its code and data (retry and UI need them). */
export function repoFailure(storage: { name: string }, e: unknown): unknown {
  return isAppError(e) ? new AppError(e.code, describeRepoError(storage, e), e.data) : e;
}

async function run(ctx: TaskContext) {
  const { backupId } = taskParams(ctx, 'backup.create');
  const b = await load(ctx.prisma, backupId);
  if (b.state === 'completed') return { backupId, resticId: b.resticId };
  const ve = b.veId ? await ctx.prisma.ve.findUnique({ where: { id: b.veId }, select: { id: true, ctid: true, nodeId: true } }) : null;
  if (!ve) throw new AppError('NOT_FOUND', `VE ${b.ctid} no longer exists`);
  await ctx.prisma.backup.update({ where: { id: b.id }, data: { state: 'running', nodeId: ve.nodeId, startedAt: b.startedAt ?? new Date(), error: null, errorCode: null } });
  const agent = await agentForNode(ctx.prisma, ve.nodeId);
  await ctx.log(`backing up VE ${ve.ctid} to storage ${b.storage.name} (attempt ${ctx.attempt})`);
  let res;
  try {
    // One op id per attempt: the agent journal replays a failure, and a retry must really try again.
    res = await agent.call('ve.backup.create', { ctid: ve.ctid, repo: repoSpecOf(b.storage), veId: ve.id, tags: [`kind:${b.kind}`] }, taskCallOptions(ctx, `backup-${ctx.attempt}`, [0, 95]));
  } catch (e) {
    await ctx.prisma.backup.update({ where: { id: b.id }, data: { error: describeRepoError(b.storage, e), errorCode: agentCodeOf(e) ?? (isAppError(e) ? e.code : 'INTERNAL') } });
    throw repoFailure(b.storage, e);
  }
  const done = await ctx.prisma.backup.update({
    where: { id: b.id },
    data: {
      state: 'completed', resticId: res.snapshotId, sizeBytes: BigInt(res.bytesProcessed), addedBytes: BigInt(res.bytesAdded), fileCount: res.manifestFiles,
      manifestDigest: res.manifestDigest, pauseMs: Math.round(res.pauseMs), durationMs: Math.round(res.ms), finishedAt: new Date(), error: null, errorCode: null,
    },
  });
  await ctx.log(`backup ${res.shortId} done: ${res.bytesProcessed} bytes read, ${res.bytesAdded} added, VE paused ${Math.round(res.pauseMs)} ms (${res.copyMode} copy)`);
  if (b.kind === 'scheduled') await queueRetention(ctx, b);
  await emitBackupEvent(ctx.prisma, done);
  return { backupId: b.id, resticId: res.snapshotId, bytesAdded: res.bytesAdded, pauseMs: res.pauseMs };
}

// A scheduled backup is followed by its schedule's retention for this VE, run on the storage's queue.
async function queueRetention(ctx: TaskContext, b: { veId: string | null; ctid: number; storageId: string }) {
  if (!b.veId) return;
  const ve = await ctx.prisma.ve.findUnique({ where: { id: b.veId }, select: { planId: true } });
  const s = await ctx.prisma.backupSchedule.findFirst({ where: { OR: [{ veId: b.veId }, ...(ve?.planId ? [{ planId: ve.planId }] : [])] }, orderBy: { veId: { sort: 'asc', nulls: 'last' } } });
  if (!s) return;
  await enqueueTask(ctx.prisma, {
    type: 'backup.forget', params: { storageId: b.storageId, veId: b.veId, keepDaily: s.keepDaily, keepWeekly: s.keepWeekly, keepMonthly: s.keepMonthly },
    veId: b.veId, ctid: b.ctid, queue: `storage:${b.storageId}`, maxAttempts: 5,
  });
}

// Out of attempts: the backup is failed with the reason, and billing hears of it. The VE was never stopped.
async function onFailed(ctx: TaskContext, e: unknown) {
  const { backupId } = taskParams(ctx, 'backup.create');
  const b = await ctx.prisma.backup.findUnique({ where: { id: backupId } });
  if (!b || b.state === 'completed') return;
  const failed = await ctx.prisma.backup.update({
    where: { id: b.id },
    // `e` already names the storage (repoFailure), or is not a repository error at all.
    data: { state: 'failed', finishedAt: new Date(), error: e instanceof Error ? e.message : String(e), errorCode: agentCodeOf(e) ?? (isAppError(e) ? e.code : 'INTERNAL') },
  });
  await emitBackupEvent(ctx.prisma, failed);
}

export function registerBackupCreateTask(): void {
  registerTaskHandler({ type: 'backup.create', run, onFailed, retryable: isTransientRepoError });
}
