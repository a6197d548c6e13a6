// Migration tasks and requests (issue 6). Call registerMigrateTasks() once where the worker starts.
import type { Prisma, PrismaClient, VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/operations/tasks/enqueue';
import { registerTaskHandler } from '@/server/operations/tasks/registry';
import { loadMigration, planMigration, type MigrationPlan, type RequestedMode } from './plan';
import { runMigrate, runMigratedCleanup, type VeMigrateParams } from './task';

export { chooseMode, planMigration, PHASES, type MigrationPlan, type MigrateMode, type RequestedMode } from './plan';
export { migrationHooks } from './task';
export { checkpointSupport } from './checkpoint';

export function registerMigrateTasks(): void {
  registerTaskHandler({ type: 've.migrate', run: runMigrate });
  registerTaskHandler({ type: 've.migrated.cleanup', run: runMigratedCleanup });
}

export interface MigrateRequest {
  targetNodeId: string;
  mode?: RequestedMode;
  dryRun?: boolean;
  keepHours?: number;
  bwlimitKBps?: number;
}

const MOVABLE: VeState[] = ['running', 'stopped'];

/**
 * Asks for a migration. A dry run returns the plan (mode, reason, phases, checks) and changes
 * nothing; otherwise the VE is marked migrating and a `ve.migrate` task queued in one transaction.
 */
export async function requestMigrateVe(
  prisma: PrismaClient, actor: { userId?: string | null; apiKeyId?: string | null }, veId: string, req: MigrateRequest,
): Promise<{ plan: MigrationPlan; taskId: string | null }> {
  const m = await loadMigration(prisma, veId, req.targetNodeId);
  const plan = await planMigration(prisma, m, req.mode ?? 'auto');
  if (req.dryRun) return { plan, taskId: null };
  const taskId = await prisma.$transaction(async (tx: Prisma.TransactionClient) => {
    const rows = await tx.$queryRaw<Array<{ state: VeState; nodeId: string }>>`SELECT state, "nodeId" FROM "Ve" WHERE id = ${veId} FOR UPDATE`;
    const ve = rows[0];
    if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
    if (!MOVABLE.includes(ve.state)) throw new AppError('BUSY', `VE ${m.ve.ctid} is ${ve.state}; migrate it when it is running or stopped`);
    await tx.ve.update({ where: { id: veId }, data: { state: 'migrating' } });
    const params: VeMigrateParams = { targetNodeId: req.targetNodeId, sourceNodeId: ve.nodeId, mode: req.mode, keepHours: req.keepHours, bwlimitKBps: req.bwlimitKBps, prevState: ve.state };
    const task = await enqueueTaskTx(tx, {
      type: 've.migrate', params: params as unknown as Prisma.InputJsonValue, veId, ctid: m.ve.ctid, nodeId: ve.nodeId,
      userId: actor.userId ?? null, apiKeyId: actor.apiKeyId ?? null, maxAttempts: 2,
    });
    return task.id;
  });
  return { plan, taskId };
}
