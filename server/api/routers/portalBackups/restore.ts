import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { getBackup, requestRestore } from '@/server/services/backups';
import { auditTarget, checkConfirm, Confirm, Id } from '../backups/schemas';

/** Replaces the user's VE's data with one of its backups; the CTID typed out confirms it. */
export const restore = customerProcedure
  .input(z.object({ id: Id, confirm: Confirm }))
  .output(z.object({ taskId: z.string(), veId: z.string() }))
  .mutation(async ({ ctx, input }) => {
    const actor = { role: 'customer' as const, userId: ctx.user.id };
    auditTarget(ctx, 'backup', input.id);
    checkConfirm(input.confirm, (await getBackup(ctx.prisma, actor, input.id)).ctid);
    return requestRestore(ctx.prisma, actor, input.id);
  });
