import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { deletePlan } from '@/server/services/plans';
import { PlanIdInput } from './schemas';

/** Deletes a plan no VE uses (CONFLICT otherwise: deactivate it instead). */
export const remove = adminProcedure
  .input(PlanIdInput)
  .output(z.object({ id: z.string() }))
  .mutation(async ({ ctx, input }) => {
    await deletePlan(ctx.prisma, input.id);
    return { id: input.id };
  });
