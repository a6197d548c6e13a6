import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestBackup } from '@/server/services/backups';
import { Id } from './schemas';

/** "Back up now" for any VE, to a chosen storage or the VE's usual one (admin; no plan quota). */
export const create = adminProcedure
  .input(z.object({ veId: Id, storageId: Id.optional() }))
  .output(z.object({ taskId: z.string(), backupId: z.string() }))
  .mutation(({ ctx, input }) => requestBackup(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.veId, { storageId: input.storageId }));
