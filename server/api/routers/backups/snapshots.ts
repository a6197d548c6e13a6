import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listSnapshots, snapshotOut } from '@/server/services/backups';
import { Id, SnapshotOutput } from './schemas';

/** A VE's local snapshots, oldest first (admin). */
export const snapshots = adminProcedure
  .input(z.object({ veId: Id }))
  .output(z.array(SnapshotOutput))
  .query(async ({ ctx, input }) => (await listSnapshots(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.veId)).map(snapshotOut));
