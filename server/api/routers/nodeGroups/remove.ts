import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { deleteNodeGroup } from '@/server/services/nodes/groups';
import { GroupId } from './schemas';

/** Deletes an empty node group (admin); CONFLICT while nodes, plans or IP pools point at it. */
export const remove = adminProcedure
  .input(z.object({ id: GroupId }))
  .output(z.object({ removed: z.literal(true) }))
  .mutation(async ({ ctx, input }) => {
    await deleteNodeGroup(ctx.prisma, input.id);
    return { removed: true as const };
  });
