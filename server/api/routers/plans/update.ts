import { adminProcedure } from '@/server/api/trpc';
import { PlanPatch, updatePlan } from '@/server/services/plans';
import { PlanIdInput, PlanOutput, toPlanOutput } from './schemas';

/** Changes a plan's fields (admin); VEs on it keep their limits until their plan is re-applied. */
export const update = adminProcedure
  .input(PlanIdInput.extend({ patch: PlanPatch }))
  .output(PlanOutput)
  .mutation(async ({ ctx, input }) => toPlanOutput(await updatePlan(ctx.prisma, input.id, input.patch)));
