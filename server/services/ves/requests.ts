// Admin and customer requests on one existing VE (power, hostname, root password, limits, reinstall):
// each locks the VE row, checks its state (and, for customers, its node), and queues one task.
import type { Prisma, PrismaClient, VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx, type EnqueueInput } from '@/server/services/tasks/enqueue';
import type { TaskParams } from '@/server/services/tasks/definitions';
import { assertCustomerActionAllowed, type VeWithNode } from '@/server/services/nodes/guards';
import { parseOrBadInput, planAllowsTemplate, type OverrideChanges } from '@/server/services/plans';
import { requestChangePlan, requestDestroyVe } from './actions';
import { sha512Crypt } from './crypt';
import { VE_NOT_FOUND, type Actor } from './scope';
import { actorFields, lockVe } from './lock';
import { Hostname, RootPassword } from './validate';
import { VE_STATES } from './list';
import { newestVersion } from '@/server/services/templates/versions';
import { requestUnsuspend } from '@/server/services/billing/suspension';

const TX = { maxWait: 10_000, timeout: 15_000 };

export const ADMIN_POWER_ACTIONS = ['start', 'stop', 'restart', 'kill', 'suspend', 'resume'] as const;
export const CUSTOMER_POWER_ACTIONS = ['start', 'stop', 'restart'] as const;
export type PowerAction = (typeof ADMIN_POWER_ACTIONS)[number];

// Which states each action makes sense from; the rest are refused with a plain reason.
const ALLOWED_FROM: Record<PowerAction, VeState[]> = {
  start: ['stopped', 'error'],
  stop: ['running', 'error'],
  restart: ['running', 'stopped', 'error'],
  kill: ['running', 'error'],
  suspend: ['running'],
  resume: ['suspended'],
};

const NODE_INCLUDE = { node: { select: { name: true, state: true, maintenance: true, hostKeyMismatch: true } } } as const;
const LOCK_INCLUDE = { ...NODE_INCLUDE, plan: { include: { templates: { select: { id: true } } } } } as const;
type LockedVe = Prisma.VeGetPayload<{ include: typeof LOCK_INCLUDE }>;

/**
 * Runs `fn` with the VE row locked inside one transaction (lockVe: the actor's scope, the busy
 * rule); customers are also refused when the VE's node is in maintenance or offline.
 */
async function withVe<T>(prisma: PrismaClient, actor: Actor, veId: string, fn: (tx: Prisma.TransactionClient, ve: LockedVe) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor, include: LOCK_INCLUDE });
    if (actor.role === 'customer') assertCustomerActionAllowed(ve);
    return fn(tx, ve);
  }, TX);
}

const customerMayAct = <V extends VeWithNode>(ve: V): V => {
  assertCustomerActionAllowed(ve);
  return ve;
};

function enqueue<T extends 've.start' | 've.stop' | 've.kill' | 've.restart' | 've.suspend' | 've.resume' | 've.set' | 've.reinstall'>(tx: Prisma.TransactionClient, actor: Actor, ve: Pick<LockedVe, 'id' | 'ctid' | 'nodeId'>, type: T, params: Omit<TaskParams<T>, 'ctid'>) {
  return enqueueTaskTx(tx, { type, params: { ctid: ve.ctid, ...params }, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) } as EnqueueInput);
}

/** Queues ve.start/stop/restart/kill/suspend/resume; refused (UNPROCESSABLE) when the VE's state does not allow it. */
export async function requestPowerAction(prisma: PrismaClient, actor: Actor, veId: string, action: PowerAction) {
  if (actor.role === 'customer' && !(CUSTOMER_POWER_ACTIONS as readonly string[]).includes(action)) throw new AppError('FORBIDDEN', `Customers cannot ${action} a VE`);
  // "Resume" of a billing suspension (stopped or network cut, not frozen) is the billing unsuspend.
  if (action === 'resume' && (await prisma.ve.findUnique({ where: { id: veId }, select: { suspendedAt: true } }))?.suspendedAt) {
    const { taskId, state } = await requestUnsuspend(prisma, actor, veId);
    if (!taskId) throw new AppError('UNPROCESSABLE', `Cannot resume: the VE is ${state}`, { state });
    return { taskId };
  }
  // Not the plan and its templates, and the node only for the customer guard (a statement each): a
  // fleet-wide power action queues thousands of these (bench/fleet-tasks.ts).
  return prisma.$transaction(async (tx) => {
    const ve: Pick<LockedVe, 'id' | 'ctid' | 'nodeId' | 'state'> = actor.role === 'customer' ? await lockVe(tx, veId, { actor, include: NODE_INCLUDE }).then(customerMayAct) : await lockVe(tx, veId, { actor });
    if (!ALLOWED_FROM[action].includes(ve.state)) {
      const why = ve.state === 'suspended' ? 'it is suspended' : `it is ${ve.state}`;
      throw new AppError('UNPROCESSABLE', `Cannot ${action} VE ${ve.ctid}: ${why}`, { state: ve.state });
    }
    const task = await enqueue(tx, actor, ve, `ve.${action}`, {});
    return { taskId: task.id };
  }, TX);
}

/** Queues a ve.set that renames the VE (the row is updated when the node has done it). */
export async function requestSetHostname(prisma: PrismaClient, actor: Actor, veId: string, hostname: string) {
  const name = parseOrBadInput(Hostname, hostname, 'hostname');
  return withVe(prisma, actor, veId, async (tx, ve) => {
    if (ve.state === 'suspended') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is suspended`);
    const task = await enqueue(tx, actor, ve, 've.set', { hostname: name });
    return { taskId: task.id };
  });
}

/**
 * Queues a ve.set with the new root password as a SHA-512 crypt hash: the clear text is hashed
 * here and never stored, queued or logged.
 */
export async function requestSetRootPassword(prisma: PrismaClient, actor: Actor, veId: string, password: string) {
  const clear = parseOrBadInput(RootPassword, password, 'password');
  return withVe(prisma, actor, veId, async (tx, ve) => {
    if (ve.state === 'suspended') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is suspended`);
    const task = await enqueue(tx, actor, ve, 've.set', { passwordHash: sha512Crypt(clear) });
    return { taskId: task.id };
  });
}

/**
 * Queues a reinstall (keeps CTID, addresses and limits) from `templateId`, which must be enabled
 * and allowed by the VE's plan; the root password is replaced only when one is given (hashed here).
 */
export async function requestReinstall(prisma: PrismaClient, actor: Actor, veId: string, input: { templateId: string; password?: string }) {
  const passwordHash = input.password ? sha512Crypt(parseOrBadInput(RootPassword, input.password, 'password')) : undefined;
  return withVe(prisma, actor, veId, async (tx, ve) => {
    if (ve.state === 'suspended') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is suspended`);
    const template = await tx.template.findUnique({ where: { id: input.templateId } });
    if (!template || !template.enabled) throw new AppError('BAD_INPUT', 'templateId: unknown template', { field: 'templateId' });
    if (ve.plan && !planAllowsTemplate(ve.plan, template.id)) throw new AppError('UNPROCESSABLE', `Plan ${ve.plan.name} does not allow template ${template.name}`, { field: 'templateId' });
    await tx.ve.update({ where: { id: ve.id }, data: { state: 'reinstalling' } });
    // A reinstall lays the template's newest version (its node cache key names the version).
    const v = await newestVersion(tx, template.id);
    const task = await enqueue(tx, actor, ve, 've.reinstall', { template: v?.cacheName ?? template.name, templateId: template.id, templateVersion: v?.number, previousState: ve.state, ...(passwordHash ? { passwordHash } : {}) });
    return { taskId: task.id };
  });
}

/**
 * Admin: changes per-VE limit overrides on the VE's current plan (paid extras named here only).
 * Same rules as a plan change: a disk shrink while running is refused; the result says what changed.
 */
export async function requestSetLimits(prisma: PrismaClient, actor: Actor, veId: string, overrides: OverrideChanges) {
  const ve = await prisma.ve.findUnique({ where: { id: veId }, select: { planId: true, state: true, ctid: true } });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  if (!ve.planId) throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} has no plan; give it one first`);
  return requestChangePlan(prisma, actor, veId, { planId: ve.planId, overrides });
}

/** Admin destroy behind a typed confirmation: `confirm` must be the VE's CTID, else BAD_INPUT and nothing queued. */
export async function requestDestroyConfirmed(prisma: PrismaClient, actor: Actor, veId: string, confirm: string) {
  const ve = await prisma.ve.findUnique({ where: { id: veId }, select: { ctid: true } });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  if (confirm.trim() !== String(ve.ctid)) throw new AppError('BAD_INPUT', `confirm: type the CTID ${ve.ctid} to destroy this VE`, { field: 'confirm' });
  return requestDestroyVe(prisma, actor, veId);
}

/** How many VEs are in each state (every state present, 0 when none). */
export async function veCountsByState(prisma: PrismaClient) {
  const rows = await prisma.ve.groupBy({ by: ['state'], _count: { _all: true } });
  const byState = Object.fromEntries(VE_STATES.map((s) => [s, 0])) as Record<(typeof VE_STATES)[number], number>;
  for (const r of rows) byState[r.state] = r._count._all;
  return { total: rows.reduce((n, r) => n + r._count._all, 0), byState };
}
