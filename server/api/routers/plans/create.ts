import { adminProcedure } from '@/server/api/trpc';
import { createPlan, PlanInput } from '@/server/services/plans';
import { PlanOutput, toPlanOutput } from './schemas';

/** Creates a plan (admin); ranges are checked by the service schema (e.g. cpuunits 8..500000). */
export const create = adminProcedure
  .input(PlanInput)
  .output(PlanOutput)
  .mutation(async ({ ctx, input }) => toPlanOutput(await createPlan(ctx.prisma, input)));
