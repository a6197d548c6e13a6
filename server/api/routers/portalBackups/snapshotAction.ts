import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { requestSnapshotAction } from '@/server/services/backups';
import { auditTarget, Id, TaskRef } from '../backups/schemas';

/** Rolls one of the user's VEs back to its snapshot, or deletes the snapshot. */
export const snapshotAction = customerProcedure
  .input(z.object({ id: Id, action: z.enum(['rollback', 'delete']) }))
  .output(TaskRef)
  .mutation(({ ctx, input }) => {
    auditTarget(ctx, 'snapshot', input.id);
    return requestSnapshotAction(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.id, input.action);
  });
