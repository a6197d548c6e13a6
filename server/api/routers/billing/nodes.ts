import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { listNodesForBilling } from '@/server/services/catalog';

export const BillingNodesOutput = z.array(
  z.object({
    id: z.string(),
    name: z.string(),
    state: z.enum(['online', 'offline', 'unknown']),
    maintenance: z.boolean(),
    nodeGroup: z.string().nullable(),
  }),
);

/** GET /api/v1/nodes: node names, groups and states (scope nodes:read). */
export const nodes = apiKeyProcedure('nodes:read')
  .meta({ openapi: { method: 'GET', path: '/nodes', tags: ['nodes'], protect: true, summary: 'Nodes and their state' } })
  .input(z.object({}))
  .output(BillingNodesOutput)
  .query(({ ctx }) => listNodesForBilling(ctx.prisma));
