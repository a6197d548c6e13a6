// Autostart: whether the VE starts with its node (vzctl --onboot), changed on the node by a ve.set task.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import type { Actor } from './scope';
import { actorFields, lockVe } from './lock';

/** Queues a ve.set {onboot}; the row changes when the node has saved it (handlers.ts runSet). */
export async function requestSetOnboot(prisma: PrismaClient, actor: Actor, veId: string, onboot: boolean) {
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor });
    if (ve.state === 'error') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is in error; repair it first`, { state: ve.state });
    const task = await enqueueTaskTx(tx, { type: 've.set', params: { ctid: ve.ctid, onboot }, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id };
  }, { maxWait: 10_000, timeout: 15_000 });
}
