import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { listSnapshots, snapshotOut } from '@/server/services/backups';
import { Id, SnapshotOutput } from '../backups/schemas';

/** Local snapshots of one of the user's own VEs. */
export const snapshots = customerProcedure
  .input(z.object({ veId: Id }))
  .output(z.array(SnapshotOutput))
  .query(async ({ ctx, input }) => (await listSnapshots(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.veId)).map(snapshotOut));
