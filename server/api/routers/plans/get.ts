import { adminProcedure } from '@/server/api/trpc';
import { getPlan } from '@/server/services/plans';
import { PlanIdInput, PlanOutput, toPlanOutput } from './schemas';

/** One plan (admin); NOT_FOUND when unknown. */
export const get = adminProcedure
  .input(PlanIdInput)
  .output(PlanOutput)
  .query(async ({ ctx, input }) => toPlanOutput(await getPlan(ctx.prisma, input.id)));
