import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestSnapshot } from '@/server/services/backups';
import { Id, SnapshotName } from './schemas';

/** Takes a local snapshot of a VE (admin; not limited by the plan's count). */
export const snapshotCreate = adminProcedure
  .input(z.object({ veId: Id, name: SnapshotName }))
  .output(z.object({ taskId: z.string(), snapshotId: z.string() }))
  .mutation(({ ctx, input }) => requestSnapshot(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.veId, input.name));
