import { z } from 'zod';
import type { NodeGroupView } from '@/server/services/nodes/groups';

export const GroupId = z.string().min(1).max(64);

export const NodeGroupOutput = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  nodeCount: z.number().int(),
  planCount: z.number().int().describe('Plans that place their VEs in this group'),
  ipPoolCount: z.number().int(),
  createdAt: z.string(),
});

export function toNodeGroupOutput(g: NodeGroupView): z.infer<typeof NodeGroupOutput> {
  return {
    id: g.id, name: g.name, description: g.description, nodeCount: g._count.nodes, planCount: g._count.plans, ipPoolCount: g._count.ipPools,
    createdAt: g.createdAt.toISOString(),
  };
}
