import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listNodesPage } from '@/server/services/nodes/page';
import { NodeOutput, toNodeOutput } from './schemas';

/** One page of nodes, searched and filtered by the server (admin); `nodes.list` stays the full list for pickers. */
export const page = adminProcedure
  .input(z.object({
    q: z.string().trim().max(100).optional().describe('Part of the name or address'),
    state: z.enum(['online', 'offline', 'unknown']).optional(),
    nodeGroupId: z.string().min(1).max(64).optional().describe("A group id, or 'none' for nodes in no group"),
    maintenance: z.boolean().optional(),
    page: z.number().int().min(1).max(100_000).default(1),
    pageSize: z.number().int().min(1).max(200).default(50),
  }).default({ page: 1, pageSize: 50 }))
  .output(z.object({
    items: z.array(NodeOutput.extend({ veCount: z.number().int().describe('VEs the panel has on this node') })),
    total: z.number().int(), page: z.number().int(), pageSize: z.number().int(),
  }))
  .query(async ({ ctx, input }) => {
    const r = await listNodesPage(ctx.prisma, input);
    return { items: r.items.map((n) => ({ ...toNodeOutput(n), veCount: n.veCount })), total: r.total, page: input.page, pageSize: input.pageSize };
  });
