import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { requestBackup } from '@/server/services/backups';
import { Id } from '../backups/schemas';

/** "Back up now" for one of the user's own VEs, within the plan's backup count. */
export const create = customerProcedure
  .input(z.object({ veId: Id }))
  .output(z.object({ taskId: z.string(), backupId: z.string() }))
  .mutation(({ ctx, input }) => requestBackup(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.veId));
