import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestForget } from '@/server/services/backups';
import { Id } from './schemas';

/** Removes backups from their repositories and the list (admin). */
export const forget = adminProcedure
  .input(z.object({ ids: z.array(Id).min(1).max(500) }))
  .output(z.object({ taskIds: z.array(z.string()) }))
  .mutation(({ ctx, input }) => requestForget(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.ids));
