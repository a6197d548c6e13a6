import { z } from 'zod';
import type { PoolView } from '@/server/services/ippools';

export const PoolIdInput = z.object({ id: z.string().min(1).max(64) });

const Ref = z.object({ id: z.string(), name: z.string() });

export const PoolOutput = z.object({
  id: z.string(),
  name: z.string(),
  cidr: z.string(),
  family: z.number().int().describe('4 or 6'),
  prefix: z.number().int(),
  gateway: z.string().nullable(),
  nameservers: z.array(z.string()),
  nodeGroup: Ref.nullable(),
  nodes: z.array(Ref),
  usage: z.object({ total: z.number().int(), used: z.number().int(), reserved: z.number().int(), free: z.number().int() }),
  createdAt: z.string(),
});

export function toPoolOutput(p: PoolView): z.infer<typeof PoolOutput> {
  return {
    id: p.id, name: p.name, cidr: p.cidr, family: p.family, prefix: p.prefix, gateway: p.gateway, nameservers: p.nameservers,
    nodeGroup: p.nodeGroup, nodes: p.nodes, usage: p.usage, createdAt: p.createdAt.toISOString(),
  };
}
