import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { setUsagePolicy, UsagePolicyInput } from '@/server/services/usage/policy';

/** Sets a plan's traffic quota ladder (admin): percentages 1-100 for the warning, suspend above it. */
export const setPolicy = adminProcedure
  .input(z.object({ planId: z.string().min(1).max(64), policy: UsagePolicyInput }))
  .output(UsagePolicyInput)
  .mutation(({ ctx, input }) => setUsagePolicy(ctx.prisma, input.planId, input.policy));
