import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { requestSnapshot } from '@/server/services/backups';
import { Id, SnapshotName } from '../backups/schemas';

/** Takes a snapshot of one of the user's VEs, within the plan's snapshot count. */
export const snapshotCreate = customerProcedure
  .input(z.object({ veId: Id, name: SnapshotName }))
  .output(z.object({ taskId: z.string(), snapshotId: z.string() }))
  .mutation(({ ctx, input }) => requestSnapshot(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.veId, input.name));
