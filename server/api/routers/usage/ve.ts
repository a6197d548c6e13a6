import { adminProcedure } from '@/server/api/trpc';
import { getVe } from '@/server/services/ves';
import { usageSeries } from '@/server/services/usage/series';
import { SeriesOutput, VeRangeInput } from './schemas';

/** Usage graphs of one VE over 1 h, 24 h, 7 d or 30 d (admin). */
export const ve = adminProcedure
  .input(VeRangeInput)
  .output(SeriesOutput)
  .query(async ({ ctx, input }) => {
    const v = await getVe(ctx.prisma, input.id);
    return usageSeries(ctx.prisma, [v.id], input.range);
  });
