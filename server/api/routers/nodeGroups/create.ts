import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { createNodeGroup, GroupDescription, GroupName } from '@/server/services/nodes/groups';
import { NodeGroupOutput, toNodeGroupOutput } from './schemas';

/** Creates a node group, e.g. a location or a hardware class (admin); CONFLICT on a taken name. */
export const create = adminProcedure
  .input(z.object({ name: GroupName, description: GroupDescription }))
  .output(NodeGroupOutput)
  .mutation(async ({ ctx, input }) => toNodeGroupOutput(await createNodeGroup(ctx.prisma, input)));
