// Local snapshot requests: the VE is locked in the actor's scope; customers are held to the plan's count.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { actorFields, lockVe } from '@/server/services/ves/lock';
import type { Actor } from '@/server/services/ves/scope';
import { SNAPSHOT_NOT_FOUND, snapshotScope } from './scope';

/** Queues a new snapshot of the VE; customers and billing within their plan's snapshot count. */
export async function requestSnapshot(prisma: PrismaClient, actor: Actor, veId: string, name = '') {
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor, include: { plan: { select: { snapshotLimit: true } } } });
    let maxCount: number | undefined;
    if (actor.role !== 'admin') {
      maxCount = ve.plan?.snapshotLimit ?? 0;
      if (maxCount === 0) throw new AppError('UNPROCESSABLE', `the plan of VE ${ve.ctid} includes no snapshots`);
      const kept = await tx.veSnapshot.count({ where: { veId: ve.id, state: { not: 'failed' } } });
      if (kept >= maxCount) throw new AppError('CAPACITY', `VE ${ve.ctid} already keeps ${kept} snapshot(s), the most its plan allows (${maxCount}); delete one first`, { limit: maxCount, kept });
    }
    const snap = await tx.veSnapshot.create({ data: { veId: ve.id, name } });
    const task = await enqueueTaskTx(tx, { type: 've.snapshot.create', params: { snapshotId: snap.id, ...(maxCount ? { maxCount } : {}) }, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    await tx.veSnapshot.update({ where: { id: snap.id }, data: { taskId: task.id } });
    return { taskId: task.id, snapshotId: snap.id };
  });
}

/** Rolls the VE back to one of its ready snapshots, or deletes one. */
export async function requestSnapshotAction(prisma: PrismaClient, actor: Actor, snapshotId: string, action: 'rollback' | 'delete') {
  return prisma.$transaction(async (tx) => {
    const snap = await tx.veSnapshot.findFirst({ where: { AND: [snapshotScope(actor), { id: snapshotId }] } });
    if (!snap) throw new AppError('NOT_FOUND', SNAPSHOT_NOT_FOUND);
    const ve = await lockVe(tx, snap.veId, { actor });
    if (action === 'rollback' && snap.state !== 'ready') throw new AppError('UNPROCESSABLE', `snapshot is ${snap.state}; only a ready snapshot can be rolled back to`);
    if (action === 'delete' && snap.state === 'creating') throw new AppError('CONFLICT', 'the snapshot is still being made');
    const type = action === 'rollback' ? 've.snapshot.rollback' : 've.snapshot.delete';
    const task = await enqueueTaskTx(tx, { type, params: { snapshotId: snap.id }, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id };
  });
}
