import { adminProcedure } from '@/server/api/trpc';
import { requestMigrateVe } from '@/server/operations/migrate';
import { MigrateTargetInput, MigrationPlanOutput } from './migrateSchemas';

/** Dry run of a migration (admin): mode and why, pre-flight checks, each node's capabilities incl. CRIU. Acts on nothing. */
export const migratePlan = adminProcedure
  .input(MigrateTargetInput)
  .output(MigrationPlanOutput)
  .query(async ({ ctx, input }) => {
    const r = await requestMigrateVe(ctx.prisma, { userId: ctx.user.id }, input.id, { targetNodeId: input.targetNodeId, mode: input.mode, dryRun: true });
    return r.plan;
  });
