import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { getBackup, requestRestore } from '@/server/services/backups';
import { auditTarget, checkConfirm, Confirm, Id } from './schemas';

/** Replaces the VE's disk with the backup; it keeps its CTID, addresses and limits (admin, confirmed). */
export const restore = adminProcedure
  .input(z.object({ id: Id, confirm: Confirm, start: z.boolean().optional().describe('run the VE afterwards; default: as it was') }))
  .output(z.object({ taskId: z.string(), veId: z.string() }))
  .mutation(async ({ ctx, input }) => {
    const actor = { role: 'admin' as const, userId: ctx.user.id };
    auditTarget(ctx, 'backup', input.id);
    checkConfirm(input.confirm, (await getBackup(ctx.prisma, actor, input.id)).ctid);
    return requestRestore(ctx.prisma, actor, input.id, { start: input.start });
  });
