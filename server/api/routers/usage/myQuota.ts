import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { myVeId } from '@/server/services/usage/scope';
import { quotaStateOf } from '@/server/services/usage/quota-state';
import { QuotaOutput, quotaAnswer } from './quota';

/** The traffic quota ladder of one of the user's own VEs: what it is throttled to and why. */
export const myQuota = customerProcedure
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(QuotaOutput)
  .query(async ({ ctx, input }) => quotaAnswer(await quotaStateOf(ctx.prisma, await myVeId(ctx.prisma, ctx.user, input.id))));
