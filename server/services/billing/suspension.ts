// Billing suspension: "stop" mode stops the VE; "network" mode keeps it running but removes its
// addresses on the node (ve.set ipdel, saved in its config, so the anti-spoof filter drops all its
// traffic). Either way the Ve row says suspended at once and remembers the power state to restore.
import { z } from 'zod';
import type { Prisma, PrismaClient, VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import type { TaskParams } from '@/server/services/tasks/definitions';
import { addressesOfVe } from '@/server/services/ippools/allocate';
import { parseOrBadInput } from '@/server/services/plans/limits';
import { NO_CONTROL } from './validate';
import type { Actor } from '@/server/services/ves/scope';
import { actorFields, lockVe } from '@/server/services/ves/lock';

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

async function taskParams(tx: Prisma.TransactionClient, ve: { id: string; ctid: number }, mode: SuspendMode, restore: 'running' | 'stopped'): Promise<SuspensionTaskParams> {
  const addrs = await addressesOfVe(tx, ve.id);
  return { ctid: ve.ctid, mode, restore, addresses: addrs.map((a) => ({ cidr: `${a.address}/${a.prefix}`, family: a.family, gateway: a.gateway })) };
}

/** What suspend answers: the suspension in force and the task carrying it out (null when none is queued). */
export interface SuspendAnswer {
  taskId: string | null;
  mode: SuspendMode;
  previousState: 'running' | 'stopped';
  /** false when the VE was already suspended in this mode (a retry): nothing new was queued. */
  changed: boolean;
}

const modeOf = (m: string | null): SuspendMode => (m === 'network' ? 'network' : 'stop');
const restoreOf = (s: string | null): 'running' | 'stopped' => (s === 'stopped' ? 'stopped' : 'running');

async function pendingTaskId(tx: Prisma.TransactionClient, veId: string, type: string): Promise<string | null> {
  const t = await tx.task.findFirst({ where: { veId, type, status: { in: ['queued', 'running'] } }, orderBy: { createdAt: 'desc' }, select: { id: true } });
  return t?.id ?? null;
}

/**
 * Suspends a VE (reason recorded, previous power state kept) and queues the node side. Idempotent:
 * billing modules retry, so suspending a VE already suspended in the same mode answers the
 * suspension in force (and its task while that still runs) instead of an error. Another mode is a
 * CONFLICT (unsuspend first), and so is a suspend while an unsuspend is under way.
 */
export async function requestSuspend(prisma: PrismaClient, actor: Actor, veId: string, raw: z.input<typeof SuspendInput>): Promise<SuspendAnswer> {
  const input = parseOrBadInput(SuspendInput, raw);
  const mode: SuspendMode = input.networkOnly ? 'network' : 'stop';
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor });
    // suspendedAt marks a billing suspension; a VE an admin froze is "suspended" without one.
    if (ve.state === 'suspended' && ve.suspendedAt) {
      const current = modeOf(ve.suspendMode);
      if (current !== mode) throw new AppError('CONFLICT', `VE ${ve.ctid} is already suspended in ${current} mode; unsuspend it before suspending in ${mode} mode`, { mode: current });
      if (await pendingTaskId(tx, ve.id, UNSUSPEND_TASK)) throw new AppError('BUSY', `VE ${ve.ctid} is being unsuspended; suspend again when that has finished`);
      return { taskId: await pendingTaskId(tx, ve.id, SUSPEND_TASK), mode, previousState: restoreOf(ve.prevPowerState), changed: false };
    }
    // A frozen VE was running: that is the state unsuspend returns to.
    const restore: 'running' | 'stopped' = ve.state === 'running' || ve.state === 'suspended' ? 'running' : 'stopped';
    await tx.ve.update({ where: { id: ve.id }, data: { state: 'suspended', suspendedAt: new Date(), suspendReason: input.reason, suspendMode: mode, prevPowerState: restore } });
    const params = await taskParams(tx, ve, mode, restore);
    const task = await enqueueTaskTx(tx, { type: SUSPEND_TASK, params, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id, mode, previousState: restore, changed: true };
  }, TX);
}

/** What unsuspend answers: the task lifting the suspension (null when the VE was not suspended). */
export interface UnsuspendAnswer {
  taskId: string | null;
  /** The power state the VE returns to; null when it was not suspended. */
  restores: 'running' | 'stopped' | null;
  /** The VE's state now (still "suspended" until the task has run). */
  state: VeState;
  /** false for a retry: not suspended, or the unsuspend already queued. */
  changed: boolean;
}

/**
 * Lifts a billing suspension: the task restores the addresses (network mode) or the previous power
 * state (stop mode); the suspension fields are cleared when the node has done it. Idempotent: a VE
 * that is not suspended, or already being unsuspended, answers its state and changes nothing.
 */
export async function requestUnsuspend(prisma: PrismaClient, actor: Actor, veId: string): Promise<UnsuspendAnswer> {
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor });
    if (ve.state !== 'suspended') return { taskId: null, restores: null, state: ve.state, changed: false };
    const mode = modeOf(ve.suspendMode);
    const restore = restoreOf(ve.prevPowerState);
    const already = await pendingTaskId(tx, ve.id, UNSUSPEND_TASK);
    if (already) return { taskId: already, restores: restore, state: ve.state, changed: false };
    const params = await taskParams(tx, ve, mode, restore);
    const task = await enqueueTaskTx(tx, { type: UNSUSPEND_TASK, params, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id, restores: restore, state: ve.state, changed: true };
  }, TX);
}
