import { adminProcedure } from '@/server/api/trpc';
import { createDownloadLink } from '@/server/services/backups';
import { auditTarget, DownloadLink, IdInput } from './schemas';

/** A single-use link that streams the backup's tree as a tarball (admin). */
export const downloadLink = adminProcedure
  .input(IdInput)
  .output(DownloadLink)
  .mutation(({ ctx, input }) => {
    auditTarget(ctx, 'backup', input.id);
    return createDownloadLink(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id);
  });
