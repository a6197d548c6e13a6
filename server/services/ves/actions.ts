// Destroy and plan-change requests on an existing VE: state change + task in one transaction.
import type { Prisma, PrismaClient, VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/operations/tasks/enqueue';
import { releaseVeAddresses } from '@/server/services/ippools/allocate';
import { changePlan, type OverrideChanges, type PlanChangeResult } from '@/server/services/plans';
import { scoped, VE_NOT_FOUND, type Actor } from './scope';

const TX = { maxWait: 10_000, timeout: 15_000 };

// Locks the VE row for the rest of the transaction so two requests on one VE cannot interleave.
async function lockVe(tx: Prisma.TransactionClient, id: string, scope?: Prisma.VeWhereInput) {
  const ve = await tx.ve.findFirst({ where: scoped({ id }, scope), select: { id: true } });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  await tx.$queryRaw`SELECT 1 FROM "Ve" WHERE id = ${id} FOR UPDATE`;
  return tx.ve.findUniqueOrThrow({ where: { id } });
}

const actorFields = (a: Actor) => ({ userId: a.userId ?? null, apiKeyId: a.apiKeyId ?? null });

/** Marks the VE destroying and enqueues `ve.destroy`; its addresses stay bound until the node confirms. */
export async function requestDestroyVe(prisma: PrismaClient, actor: Actor, veId: string, scope?: Prisma.VeWhereInput) {
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, scope);
    if (ve.state === 'destroying') throw new AppError('CONFLICT', `VE ${ve.ctid} is already being destroyed`);
    if (ve.state === 'migrating') throw new AppError('BUSY', `VE ${ve.ctid} is migrating; destroy it when that has finished`);
    await tx.ve.update({ where: { id: ve.id }, data: { state: 'destroying' } });
    // The VE's identity rides along: its row is gone (and the task's veId nulled) when the ve.destroyed webhook is sent.
    const params = { ctid: ve.ctid, previousState: ve.state, veId: ve.id, externalId: ve.externalId, hostname: ve.hostname };
    const task = await enqueueTaskTx(tx, { type: 've.destroy', params, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id };
  }, TX);
}

/**
 * Called by the `ve.destroy` task once the node no longer has the container: frees the VE's
 * addresses and deletes its row (tasks keep the CTID for history). Idempotent.
 */
export async function completeVeDestroy(prisma: PrismaClient, veId: string): Promise<{ releasedAddresses: number }> {
  return prisma.$transaction(async (tx) => {
    const released = await releaseVeAddresses(tx, veId);
    await tx.ve.deleteMany({ where: { id: veId } });
    return { releasedAddresses: released };
  }, TX);
}

export interface ChangePlanRequest {
  planId: string;
  /** number = set that override, null = drop it (back to the plan value); unnamed overrides are kept. */
  overrides?: OverrideChanges;
}

/**
 * Moves a VE to another plan, keeping its overrides unless explicitly replaced. Refused changes
 * (a disk shrink while running) raise UNPROCESSABLE with the reasons; otherwise the new limits are
 * stored and a `ve.set` task applies the changed fields on the node (no task if nothing changed).
 */
export async function requestChangePlan(prisma: PrismaClient, actor: Actor, veId: string, req: ChangePlanRequest, scope?: Prisma.VeWhereInput) {
  return prisma.$transaction(async (tx): Promise<PlanChangeResult & { taskId: string | null }> => {
    const ve = await lockVe(tx, veId, scope);
    const busy: VeState[] = ['creating', 'destroying', 'migrating', 'reinstalling'];
    if (busy.includes(ve.state)) throw new AppError('BUSY', `VE ${ve.ctid} is ${ve.state}; change the plan when that has finished`);
    const plan = await tx.plan.findUnique({ where: { id: req.planId } });
    if (!plan) throw new AppError('BAD_INPUT', 'planId: unknown plan', { field: 'planId' });
    const result = changePlan(ve, plan, req.overrides ?? {});
    if (result.refused.length) {
      throw new AppError('UNPROCESSABLE', result.refused.map((r) => r.reason).join('; '), { refused: result.refused, changes: result.changes });
    }
    await tx.ve.update({ where: { id: ve.id }, data: { planId: plan.id, overrides: result.overrides, limits: result.limits } });
    if (!result.changes.length) return { ...result, taskId: null };
    const task = await enqueueTaskTx(tx, {
      type: 've.set',
      params: { ctid: ve.ctid, limits: Object.fromEntries(result.changes.map((c) => [c.field, c.to])), needsRestart: result.needsRestart },
      veId: ve.id,
      ctid: ve.ctid,
      nodeId: ve.nodeId,
      ...actorFields(actor),
    });
    return { ...result, taskId: task.id };
  }, TX);
}
