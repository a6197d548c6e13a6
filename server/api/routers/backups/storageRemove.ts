import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { deleteStorage } from '@/server/services/backups';
import { auditTarget, IdInput } from './schemas';

/** Deletes a storage that holds no backups and serves no schedule (admin); the repository itself is left alone. */
export const storageRemove = adminProcedure
  .input(IdInput)
  .output(z.object({ id: z.string() }))
  .mutation(({ ctx, input }) => {
    auditTarget(ctx, 'backupStorage', input.id);
    return deleteStorage(ctx.prisma, input.id);
  });
