// Billing suspension: "stop" mode stops the VE; "network" mode keeps it running but removes its
// addresses on the node (ve.set ipdel, saved in its config, so the anti-spoof filter drops all its
// traffic). Either way the Ve row says suspended at once and remembers the power state to restore.
import { z } from 'zod';
import type { Prisma, PrismaClient, VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/operations/tasks/enqueue';
import { addressesOfVe } from '@/server/services/ippools/allocate';
import { parseOrBadInput } from '@/server/services/plans/limits';
import { NO_CONTROL } from './validate';
import { VE_NOT_FOUND, type Actor } from '@/server/services/ves/scope';

export const SuspendInput = z.object({
  reason: z.string().trim().min(1).max(500).regex(NO_CONTROL, 'no control characters').default('billing'),
  networkOnly: z.boolean().default(false).describe('Keep the VE running, cut its network instead of stopping it'),
});

export type SuspendMode = 'stop' | 'network';
export const SUSPEND_TASK = 've.billing.suspend';
export const UNSUSPEND_TASK = 've.billing.unsuspend';

/** What the suspend/unsuspend tasks receive. */
export interface SuspensionTaskParams {
  ctid: number;
  mode: SuspendMode;
  /** Power state to return to on unsuspend (running|stopped). */
  restore: 'running' | 'stopped';
  addresses: Array<{ cidr: string; family: 4 | 6; gateway: string | null }>;
}

const TX = { maxWait: 10_000, timeout: 15_000 };
const BUSY: VeState[] = ['creating', 'destroying', 'migrating', 'reinstalling'];

async function lock(tx: Prisma.TransactionClient, veId: string) {
  const found = await tx.ve.findUnique({ where: { id: veId }, select: { id: true } });
  if (!found) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  await tx.$queryRaw`SELECT 1 FROM "Ve" WHERE id = ${veId} FOR UPDATE`;
  const ve = await tx.ve.findUniqueOrThrow({ where: { id: veId } });
  if (BUSY.includes(ve.state)) throw new AppError('BUSY', `VE ${ve.ctid} is ${ve.state}; try again when that has finished`);
  return ve;
}

async function pending(tx: Prisma.TransactionClient, veId: string, type: string) {
  return tx.task.count({ where: { veId, type, status: { in: ['queued', 'running'] } } });
}

async function taskParams(tx: Prisma.TransactionClient, ve: { id: string; ctid: number }, mode: SuspendMode, restore: 'running' | 'stopped'): Promise<SuspensionTaskParams> {
  const addrs = await addressesOfVe(tx, ve.id);
  return { ctid: ve.ctid, mode, restore, addresses: addrs.map((a) => ({ cidr: `${a.address}/${a.prefix}`, family: a.family, gateway: a.gateway })) };
}

const actorFields = (a: Actor) => ({ userId: a.userId ?? null, apiKeyId: a.apiKeyId ?? null });

/** Suspends a VE (reason recorded, previous power state kept) and queues the node side. */
export async function requestSuspend(prisma: PrismaClient, actor: Actor, veId: string, raw: z.input<typeof SuspendInput>) {
  const input = parseOrBadInput(SuspendInput, raw);
  const mode: SuspendMode = input.networkOnly ? 'network' : 'stop';
  return prisma.$transaction(async (tx) => {
    const ve = await lock(tx, veId);
    if (ve.state === 'suspended') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is already suspended`, { state: ve.state });
    const restore: 'running' | 'stopped' = ve.state === 'running' ? 'running' : 'stopped';
    await tx.ve.update({ where: { id: ve.id }, data: { state: 'suspended', suspendedAt: new Date(), suspendReason: input.reason, suspendMode: mode, prevPowerState: restore } });
    const params = await taskParams(tx, ve, mode, restore);
    const task = await enqueueTaskTx(tx, { type: SUSPEND_TASK, params: params as unknown as Prisma.InputJsonValue, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id, mode, previousState: restore };
  }, TX);
}

/**
 * Lifts a billing suspension: the task restores the addresses (network mode) or the previous power
 * state (stop mode); the suspension fields are cleared when the node has done it.
 */
export async function requestUnsuspend(prisma: PrismaClient, actor: Actor, veId: string) {
  return prisma.$transaction(async (tx) => {
    const ve = await lock(tx, veId);
    if (ve.state !== 'suspended') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is not suspended`, { state: ve.state });
    if (await pending(tx, ve.id, UNSUSPEND_TASK)) throw new AppError('CONFLICT', `VE ${ve.ctid} is already being unsuspended`);
    const mode: SuspendMode = ve.suspendMode === 'network' ? 'network' : 'stop';
    const restore: 'running' | 'stopped' = ve.prevPowerState === 'stopped' ? 'stopped' : 'running';
    const params = await taskParams(tx, ve, mode, restore);
    const task = await enqueueTaskTx(tx, { type: UNSUSPEND_TASK, params: params as unknown as Prisma.InputJsonValue, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id, restores: restore };
  }, TX);
}
