// Tasks on a VE's local snapshots: create (brief freeze), rollback (disk back to the snapshot), delete.
import { AppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { agentForNode, taskCallOptions } from '@/server/operations/ve/agent';

async function load(ctx: TaskContext, snapshotId: string) {
  const s = await ctx.prisma.veSnapshot.findUnique({ where: { id: snapshotId }, include: { ve: { select: { ctid: true, nodeId: true } } } });
  if (!s) throw new AppError('NOT_FOUND', 'snapshot not found');
  return { s, agent: await agentForNode(ctx.prisma, s.ve.nodeId) };
}

async function runCreate(ctx: TaskContext) {
  const p = taskParams(ctx, 've.snapshot.create');
  const { s, agent } = await load(ctx, p.snapshotId);
  if (s.state === 'ready') return { snapshotId: s.id };
  const r = await agent.call('ve.snapshot.create', { ctid: s.ve.ctid, ...(s.name ? { name: s.name } : {}), ...(p.maxCount ? { maxCount: p.maxCount } : {}) }, taskCallOptions(ctx, 'snapshot'));
  await ctx.prisma.veSnapshot.update({ where: { id: s.id }, data: { agentId: r.id, state: 'ready', sizeBytes: BigInt(r.sizeBytes), error: null } });
  await ctx.log(`snapshot made (${r.copyMode} copy); VE paused ${Math.round(r.pauseMs)} ms`);
  return { snapshotId: s.id, pauseMs: r.pauseMs };
}

async function createFailed(ctx: TaskContext, e: unknown) {
  const { snapshotId } = taskParams(ctx, 've.snapshot.create');
  await ctx.prisma.veSnapshot.updateMany({ where: { id: snapshotId, state: 'creating' }, data: { state: 'failed', error: e instanceof Error ? e.message : String(e) } });
}

async function runRollback(ctx: TaskContext) {
  const { s, agent } = await load(ctx, taskParams(ctx, 've.snapshot.rollback').snapshotId);
  if (!s.agentId) throw new AppError('UNPROCESSABLE', 'the snapshot was never made on the node');
  const r = await agent.call('ve.snapshot.rollback', { ctid: s.ve.ctid, id: s.agentId }, taskCallOptions(ctx, 'rollback'));
  await ctx.prisma.ve.updateMany({ where: { id: s.veId }, data: { state: r.status === 'running' ? 'running' : 'stopped' } });
  return { snapshotId: s.id, status: r.status };
}

async function runDelete(ctx: TaskContext) {
  const { s, agent } = await load(ctx, taskParams(ctx, 've.snapshot.delete').snapshotId);
  await ctx.prisma.veSnapshot.update({ where: { id: s.id }, data: { state: 'deleting' } });
  if (s.agentId) {
    try {
      await agent.call('ve.snapshot.delete', { ctid: s.ve.ctid, id: s.agentId }, taskCallOptions(ctx, 'delete'));
    } catch (e) {
      // Already gone on the node: the row goes too.
      if ((e as AppError).data?.agentCode !== 'SNAPSHOT_NOT_FOUND') throw e;
    }
  }
  await ctx.prisma.veSnapshot.delete({ where: { id: s.id } });
  return { snapshotId: s.id, deleted: true };
}

// A failed delete keeps the snapshot usable.
async function deleteFailed(ctx: TaskContext) {
  await ctx.prisma.veSnapshot.updateMany({ where: { id: taskParams(ctx, 've.snapshot.delete').snapshotId, state: 'deleting' }, data: { state: 'ready' } });
}

export function registerSnapshotTasks(): void {
  registerTaskHandler({ type: 've.snapshot.create', run: runCreate, onFailed: createFailed });
  registerTaskHandler({ type: 've.snapshot.rollback', run: runRollback });
  registerTaskHandler({ type: 've.snapshot.delete', run: runDelete, onFailed: deleteFailed });
}
