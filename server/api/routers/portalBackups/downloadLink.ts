import { customerProcedure } from '@/server/api/trpc';
import { createDownloadLink } from '@/server/services/backups';
import { auditTarget, DownloadLink, IdInput } from '../backups/schemas';

/** A single-use link that streams one of the user's backups as a tarball. */
export const downloadLink = customerProcedure
  .input(IdInput)
  .output(DownloadLink)
  .mutation(({ ctx, input }) => {
    auditTarget(ctx, 'backup', input.id);
    return createDownloadLink(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.id);
  });
