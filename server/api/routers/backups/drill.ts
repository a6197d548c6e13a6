import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestDrill } from '@/server/services/backups';
import { Id, TaskRef } from './schemas';

/** Restore drill: restores a backup (random recent one unless named) into a throwaway VE and checks it (admin). */
export const drill = adminProcedure
  .input(z.object({ id: Id.optional() }))
  .output(TaskRef)
  .mutation(({ ctx, input }) => requestDrill(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id));
