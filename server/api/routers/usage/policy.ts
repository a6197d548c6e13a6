import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { getUsagePolicy, UsagePolicyInput } from '@/server/services/usage/policy';

/** A plan's traffic quota ladder (admin); defaults (no quota) when never set. */
export const policy = adminProcedure
  .input(z.object({ planId: z.string().min(1).max(64) }))
  .output(UsagePolicyInput)
  .query(({ ctx, input }) => getUsagePolicy(ctx.prisma, input.planId));
