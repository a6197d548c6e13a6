import { adminProcedure } from '@/server/api/trpc';
import { checkStorage } from '@/server/operations/backups/storage-admin';
import { auditTarget, IdInput, TaskRef } from './schemas';

/** Checks a storage from a node (reach it, open the repository, restic check); creates the repository if missing (admin). */
export const storageCheck = adminProcedure
  .input(IdInput)
  .output(TaskRef)
  .mutation(({ ctx, input }) => {
    auditTarget(ctx, 'backupStorage', input.id);
    return checkStorage(ctx.prisma, { userId: ctx.user.id }, input.id);
  });
