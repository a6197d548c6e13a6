import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { assignNodesToGroup } from '@/server/services/nodes/groups';
import { GroupId } from './schemas';

/** Puts nodes into a group, or out of any group with `id: null` (admin); VEs stay where they are. */
export const assign = adminProcedure
  .input(z.object({ id: GroupId.nullable(), nodeIds: z.array(z.string().min(1).max(64)).min(1).max(1000) }))
  .output(z.object({ updated: z.number().int() }))
  .mutation(({ ctx, input }) => assignNodesToGroup(ctx.prisma, input.id, input.nodeIds));
