import { adminProcedure } from '@/server/api/trpc';
import { backupOut, listBackups } from '@/server/services/backups';
import { BackupPage, ListInput } from './schemas';

/** Every backup, newest first; filter by VE, storage or state (admin). */
export const list = adminProcedure
  .input(ListInput)
  .output(BackupPage)
  .query(async ({ ctx, input }) => {
    const r = await listBackups(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input);
    return { ...r, items: r.items.map(backupOut) };
  });
