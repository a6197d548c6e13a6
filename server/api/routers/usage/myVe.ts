import { customerProcedure } from '@/server/api/trpc';
import { myVeId } from '@/server/services/usage/scope';
import { usageSeries } from '@/server/services/usage/series';
import { SeriesOutput, VeRangeInput } from './schemas';

/** Usage graphs of one of the user's own VEs. */
export const myVe = customerProcedure
  .input(VeRangeInput)
  .output(SeriesOutput)
  .query(async ({ ctx, input }) => usageSeries(ctx.prisma, [await myVeId(ctx.prisma, ctx.user, input.id)], input.range));
