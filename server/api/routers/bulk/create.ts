import { adminProcedure } from '@/server/api/trpc';
import { createBulkJob } from '@/server/services/bulk/jobs';
import { CreateBulkJobInput } from '@/server/services/bulk/schemas';
import { JobRefOutput } from './schemas';

/** Starts a bulk job (script, package update, power, limits, migrate) with rollout controls; returns at once. */
export const create = adminProcedure
  .input(CreateBulkJobInput)
  .output(JobRefOutput)
  .mutation(({ ctx, input }) => createBulkJob(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input));
