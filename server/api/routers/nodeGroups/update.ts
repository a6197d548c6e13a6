import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { GroupDescription, GroupName, updateNodeGroup } from '@/server/services/nodes/groups';
import { GroupId, NodeGroupOutput, toNodeGroupOutput } from './schemas';

/** Renames a node group or changes its description (admin); its nodes, plans and pools stay with it. */
export const update = adminProcedure
  .input(z.object({ id: GroupId, name: GroupName.optional(), description: GroupDescription }))
  .output(NodeGroupOutput)
  .mutation(async ({ ctx, input }) => toNodeGroupOutput(await updateNodeGroup(ctx.prisma, input.id, input)));
