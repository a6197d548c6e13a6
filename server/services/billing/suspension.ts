// Billing suspension: "stop" mode stops the VE; "network" mode keeps it running but removes its
// addresses on the node (ve.set ipdel, saved in its config, so the anti-spoof filter drops all its
// traffic). Either way the Ve row says suspended at once and remembers the power state to restore.
import { z } from 'zod';
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import type { TaskParams } from '@/server/services/tasks/definitions';
import { addressesOfVe } from '@/server/services/ippools/allocate';
import { parseOrBadInput } from '@/server/services/plans/limits';
import { NO_CONTROL } from './validate';
import type { Actor } from '@/server/services/ves/scope';
import { actorFields, lockVe } from '@/server/services/ves/lock';
import { notifyConsoles } from '@/server/services/console/revoke';

export const SuspendInput = z.object({
  reason: z.string().trim().min(1).max(500).regex(NO_CONTROL, 'no control characters').default('billing'),
  networkOnly: z.boolean().default(false).describe('Keep the VE running, cut its network instead of stopping it'),
});

export type SuspendMode = 'stop' | 'network';
export const SUSPEND_TASK = 've.billing.suspend' as const;
export const UNSUSPEND_TASK = 've.billing.unsuspend' as const;

/** What the suspend/unsuspend tasks receive (defined in server/services/tasks/definitions). */
export type SuspensionTaskParams = TaskParams<typeof SUSPEND_TASK>;

const TX = { maxWait: 10_000, timeout: 15_000 };

async function pending(tx: Prisma.TransactionClient, veId: string, type: string) {
  return tx.task.count({ where: { veId, type, status: { in: ['queued', 'running'] } } });
}

async function taskParams(tx: Prisma.TransactionClient, ve: { id: string; ctid: number }, mode: SuspendMode, restore: 'running' | 'stopped'): Promise<SuspensionTaskParams> {
  const addrs = await addressesOfVe(tx, ve.id);
  return { ctid: ve.ctid, mode, restore, addresses: addrs.map((a) => ({ cidr: `${a.address}/${a.prefix}`, family: a.family, gateway: a.gateway })) };
}

/** Suspends a VE (reason recorded, previous power state kept) and queues the node side. */
export async function requestSuspend(prisma: PrismaClient, actor: Actor, veId: string, raw: z.input<typeof SuspendInput>) {
  const input = parseOrBadInput(SuspendInput, raw);
  const mode: SuspendMode = input.networkOnly ? 'network' : 'stop';
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor });
    if (ve.state === 'suspended') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is already suspended`, { state: ve.state });
    const restore: 'running' | 'stopped' = ve.state === 'running' ? 'running' : 'stopped';
    await tx.ve.update({ where: { id: ve.id }, data: { state: 'suspended', suspendedAt: new Date(), suspendReason: input.reason, suspendMode: mode, prevPowerState: restore } });
    await notifyConsoles(tx, [`ve:${ve.id}`]); // the customer's open consoles close when this commits
    const params = await taskParams(tx, ve, mode, restore);
    const task = await enqueueTaskTx(tx, { type: SUSPEND_TASK, params, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id, mode, previousState: restore };
  }, TX);
}

/**
 * Lifts a billing suspension: the task restores the addresses (network mode) or the previous power
 * state (stop mode); the suspension fields are cleared when the node has done it.
 */
export async function requestUnsuspend(prisma: PrismaClient, actor: Actor, veId: string) {
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor });
    if (ve.state !== 'suspended') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is not suspended`, { state: ve.state });
    if (await pending(tx, ve.id, UNSUSPEND_TASK)) throw new AppError('CONFLICT', `VE ${ve.ctid} is already being unsuspended`);
    const mode: SuspendMode = ve.suspendMode === 'network' ? 'network' : 'stop';
    const restore: 'running' | 'stopped' = ve.prevPowerState === 'stopped' ? 'stopped' : 'running';
    const params = await taskParams(tx, ve, mode, restore);
    const task = await enqueueTaskTx(tx, { type: UNSUSPEND_TASK, params, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id, restores: restore };
  }, TX);
}
