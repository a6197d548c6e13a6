// Destroy and plan-change requests on an existing VE: state change + task in one transaction.
import { Prisma, type PrismaClient } from '@/server/db/client';
import { FEATURES } from '@/agents/protocol';
import { nodeHasFeature } from '@/server/services/nodes/features';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { releaseVeAddresses } from '@/server/services/ippools/allocate';
import { changePlan, type OverrideChanges, type PlanChangeResult } from '@/server/services/plans';
import type { Actor } from './scope';
import { actorFields, lockVe } from './lock';

const TX = { maxWait: 10_000, timeout: 15_000 };


/** Marks the VE destroying and enqueues `ve.destroy`; its addresses stay bound until the node confirms. */
export async function requestDestroyVe(prisma: PrismaClient, actor: Actor, veId: string) {
  return prisma.$transaction(async (tx) => {
    // A destroy may end a VE stuck creating or reinstalling; never one that is moving or already going.
    const ve = await lockVe(tx, veId, { actor, allowBusy: ['creating', 'reinstalling', 'destroying'] });
    if (ve.state === 'destroying') throw new AppError('CONFLICT', `VE ${ve.ctid} is already being destroyed`);
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
 * (a disk shrink while running, an inode count) raise UNPROCESSABLE with the reasons; otherwise a
 * `ve.set` task applies the changed fields on the node and writes the new plan, overrides and
 * limits when the node has confirmed them (the row never claims limits the node does not have).
 * Nothing changed on the node (only the plan id): written at once, no task.
 */
export async function requestChangePlan(prisma: PrismaClient, actor: Actor, veId: string, req: ChangePlanRequest) {
  return prisma.$transaction(async (tx): Promise<PlanChangeResult & { taskId: string | null }> => {
    const ve = await lockVe(tx, veId, { actor, include: { node: { select: { capabilities: true } } } });
    const plan = await tx.plan.findUnique({ where: { id: req.planId } });
    if (!plan) throw new AppError('BAD_INPUT', 'planId: unknown plan', { field: 'planId' });
    const result = changePlan(ve, plan, req.overrides ?? {}, { diskGrowOnline: nodeHasFeature(ve.node.capabilities, FEATURES.diskGrowOnline) });
    if (result.refused.length) {
      throw new AppError('UNPROCESSABLE', result.refused.map((r) => r.reason).join('; '), { refused: result.refused, changes: result.changes });
    }
    const pending = await tx.task.count({ where: { veId: ve.id, type: 've.set', status: { in: ['queued', 'running'] }, params: { path: ['planId'], not: Prisma.AnyNull } } });
    if (pending) throw new AppError('CONFLICT', `VE ${ve.ctid} has a limit change that the node has not applied yet; try again when it has finished`);
    if (!result.changes.length) {
      await tx.ve.update({ where: { id: ve.id }, data: { planId: plan.id, overrides: result.overrides } });
      return { ...result, taskId: null };
    }
    const task = await enqueueTaskTx(tx, {
      type: 've.set',
      params: {
        ctid: ve.ctid, limits: Object.fromEntries(result.changes.map((c) => [c.field, c.to])), needsRestart: result.needsRestart,
        planId: plan.id, overrides: result.overrides,
      },
      veId: ve.id,
      ctid: ve.ctid,
      nodeId: ve.nodeId,
      ...actorFields(actor),
    });
    return { ...result, taskId: task.id };
  }, TX);
}
