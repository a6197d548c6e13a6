import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { AppError } from '@/server/errors';
import { requestMigrateVe } from '@/server/operations/migrate';
import { MigrateTargetInput, MigrationPlanOutput } from './migrateSchemas';

/** Moves a VE to another node (admin): pre-flight now (a failed check refuses), then a ve.migrate task; returns its id at once. */
export const migrate = adminProcedure
  .input(MigrateTargetInput.extend({
    keepHours: z.number().min(0).max(24 * 365).default(168).describe('How long the source keeps <ctid>.migrated-<ts>'),
    bwlimitKBps: z.number().int().min(0).max(10_000_000).default(0).describe('Copy bandwidth limit in KiB/s, 0 = none'),
    retryTwoPass: z.boolean().default(false).describe('online-criu: if the live migration fails (the VE keeps running on the source), retry in two-pass mode in the same task'),
  }))
  .output(z.object({ taskId: z.string().describe('The ve.migrate task; follow it for phases and the pause'), plan: MigrationPlanOutput }))
  .mutation(async ({ ctx, input }) => {
    const { id, ...req } = input;
    const r = await requestMigrateVe(ctx.prisma, { userId: ctx.user.id }, id, req);
    if (!r.taskId) throw new AppError('INTERNAL', 'no task was queued');
    return { taskId: r.taskId, plan: r.plan };
  });
