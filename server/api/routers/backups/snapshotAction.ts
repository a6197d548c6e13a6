import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestSnapshotAction } from '@/server/services/backups';
import { auditTarget, Id, TaskRef } from './schemas';

/** Rolls a VE back to a snapshot, or deletes the snapshot (admin). */
export const snapshotAction = adminProcedure
  .input(z.object({ id: Id, action: z.enum(['rollback', 'delete']) }))
  .output(TaskRef)
  .mutation(({ ctx, input }) => {
    auditTarget(ctx, 'snapshot', input.id);
    return requestSnapshotAction(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.action);
  });
