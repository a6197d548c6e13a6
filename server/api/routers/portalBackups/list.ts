import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { backupOut, listBackups } from '@/server/services/backups';
import { myVeQuota } from '@/server/services/backups/quota';
import { BackupOutput, Id } from '../backups/schemas';

/** Backups of one of the user's own VEs, newest first, with what the plan allows. */
export const list = customerProcedure
  .input(z.object({ veId: Id }))
  .output(z.object({ items: z.array(BackupOutput), backupLimit: z.number().int(), snapshotLimit: z.number().int() }))
  .query(async ({ ctx, input }) => {
    const actor = { role: 'customer' as const, userId: ctx.user.id };
    const quota = await myVeQuota(ctx.prisma, actor, input.veId);
    const r = await listBackups(ctx.prisma, actor, { veId: input.veId, pageSize: 200 });
    return { items: r.items.map(backupOut), ...quota };
  });
