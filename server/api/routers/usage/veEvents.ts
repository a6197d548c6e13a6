import { adminProcedure } from '@/server/api/trpc';
import { getVe } from '@/server/services/ves';
import { usageTimeline } from '@/server/services/usage/timeline';
import { TimelineOutput, VeEventsInput, toTimeline } from './schemas';

/** Limit hits of one VE (OOM kills, throttling, refusals), newest first (admin). */
export const veEvents = adminProcedure
  .input(VeEventsInput)
  .output(TimelineOutput)
  .query(async ({ ctx, input }) => {
    const v = await getVe(ctx.prisma, input.id);
    const now = new Date();
    return toTimeline(await usageTimeline(ctx.prisma, v.id, new Date(now.getTime() - input.days * 86_400_000), now));
  });
