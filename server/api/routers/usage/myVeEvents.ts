import { customerProcedure } from '@/server/api/trpc';
import { myVeId } from '@/server/services/usage/scope';
import { usageTimeline } from '@/server/services/usage/timeline';
import { TimelineOutput, VeEventsInput, toTimeline } from './schemas';

/** Why one of the user's VEs was throttled or had processes killed, newest first. */
export const myVeEvents = customerProcedure
  .input(VeEventsInput)
  .output(TimelineOutput)
  .query(async ({ ctx, input }) => {
    const id = await myVeId(ctx.prisma, ctx.user, input.id);
    const now = new Date();
    return toTimeline(await usageTimeline(ctx.prisma, id, new Date(now.getTime() - input.days * 86_400_000), now));
  });
