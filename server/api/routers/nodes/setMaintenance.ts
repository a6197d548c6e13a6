import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { getNodeByName } from '@/server/services/nodes';
import { setNodeMaintenance } from '@/server/services/nodes/manage';
import { NodeOutput, toNodeOutput } from './schemas';

/** Maintenance on/off: no placement on the node and no customer actions on its VEs while on (admin). */
export const setMaintenance = adminProcedure
  .input(z.object({ nodeId: z.string().min(1).max(64), maintenance: z.boolean(), reason: z.string().max(500).nullish().describe('Why (shown on the node page); cleared when maintenance ends') }))
  .output(NodeOutput)
  .mutation(async ({ ctx, input }) => {
    const n = await setNodeMaintenance(ctx.prisma, input.nodeId, input.maintenance, input.reason);
    return toNodeOutput(await getNodeByName(ctx.prisma, n.name));
  });
