import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { nodeVeIds } from '@/server/services/usage/scope';
import { usageSeries } from '@/server/services/usage/series';
import { Range, SeriesOutput } from './schemas';

/** Usage graphs of a node: the sum of the VEs on it now (admin). */
export const node = adminProcedure
  .input(z.object({ name: z.string().min(1).max(100), range: Range.default('24h') }))
  .output(SeriesOutput)
  .query(async ({ ctx, input }) => usageSeries(ctx.prisma, await nodeVeIds(ctx.prisma, input.name), input.range));
