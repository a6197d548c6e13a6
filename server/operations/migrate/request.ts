// Asking for a migration: plan (dry run) or mark the VE migrating and queue `ve.migrate` in one transaction.
import type { Prisma, PrismaClient, VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { chooseMigrationTarget } from './placement';
import { assertPlanOk, loadMigration, planMigration, type MigrationPlan, type RequestedMode } from './plan';
import type { VeMigrateParams } from './task';

export interface MigrateRequest {
  /** Omitted: placement picks a node other than the VE's (one that serves its addresses). */
  targetNodeId?: string;
  mode?: RequestedMode;
  dryRun?: boolean;
  keepHours?: number;
  bwlimitKBps?: number;
  /** The node.evacuate task that asked (a re-run of that task finds its migrations by it). */
  evacuateTaskId?: string;
  /** online-criu: a failed live migration (the VE running on the source again) is retried two-pass in the same task. */
  retryTwoPass?: boolean;
}

const MOVABLE: VeState[] = ['running', 'stopped'];

/**
 * Asks for a migration. A dry run returns the plan (mode, reason, phases, checks) and changes
 * nothing; otherwise a plan with a failed check is refused, else the VE is marked migrating and
 * a `ve.migrate` task queued in one transaction.
 */
export async function requestMigrateVe(
  prisma: PrismaClient, actor: { userId?: string | null; apiKeyId?: string | null }, veId: string, req: MigrateRequest,
): Promise<{ plan: MigrationPlan; taskId: string | null }> {
  let targetNodeId = req.targetNodeId;
  if (!targetNodeId) {
    const ve = await prisma.ve.findUnique({ where: { id: veId } });
    if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
    targetNodeId = (await chooseMigrationTarget(prisma, ve)).node.id;
  }
  const m = await loadMigration(prisma, veId, targetNodeId);
  const plan = await planMigration(prisma, m, req.mode ?? 'auto');
  if (req.dryRun) return { plan, taskId: null };
  // A doomed request is refused now, with the failed check, instead of being queued.
  assertPlanOk(plan);
  const taskId = await prisma.$transaction(async (tx: Prisma.TransactionClient) => {
    const rows = await tx.$queryRaw<Array<{ state: VeState; nodeId: string }>>`SELECT state, "nodeId" FROM "Ve" WHERE id = ${veId} FOR UPDATE`;
    const ve = rows[0];
    if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
    if (!MOVABLE.includes(ve.state)) throw new AppError('BUSY', `VE ${m.ve.ctid} is ${ve.state}; migrate it when it is running or stopped`);
    if (ve.nodeId !== m.source.id) throw new AppError('CONFLICT', `VE ${m.ve.ctid} moved to another node meanwhile`);
    await tx.ve.update({ where: { id: veId }, data: { state: 'migrating' } });
    const params: VeMigrateParams = {
      targetNodeId, sourceNodeId: ve.nodeId, mode: req.mode, keepHours: req.keepHours, bwlimitKBps: req.bwlimitKBps, prevState: ve.state,
      ...(req.evacuateTaskId ? { evacuateTaskId: req.evacuateTaskId } : {}),
      ...(req.retryTwoPass ? { retryTwoPass: true } : {}),
    };
    const task = await enqueueTaskTx(tx, {
      type: 've.migrate', params, veId, ctid: m.ve.ctid, nodeId: ve.nodeId,
      userId: actor.userId ?? null, apiKeyId: actor.apiKeyId ?? null, maxAttempts: 2,
    });
    return task.id;
  });
  return { plan, taskId };
}
