import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { AppError } from '@/server/errors';
import { SourceId } from './schemas';

/** Forgets an OpenVZ host (imports already queued keep running only if it stays reachable) (admin). */
export const removeSource = adminProcedure
  .input(z.object({ id: SourceId }))
  .output(z.object({ removed: z.literal(true) }))
  .mutation(async ({ ctx, input }) => {
    const busy = await ctx.prisma.task.count({ where: { type: 've.import', status: { in: ['queued', 'running'] }, params: { path: ['sourceId'], equals: input.id } } });
    if (busy) throw new AppError('BUSY', 'An import from this host is in progress');
    const { count } = await ctx.prisma.openvzSource.deleteMany({ where: { id: input.id } });
    if (!count) throw new AppError('NOT_FOUND', 'OpenVZ source not found');
    return { removed: true as const };
  });
