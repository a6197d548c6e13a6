import { z } from 'zod';
import { NodeInfoResult } from '@/agents/protocol';
import { StoredCapabilities, type NodeView } from '@/server/services/nodes';

export const NodeOutput = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  transport: z.enum(['local', 'ssh']),
  state: z.enum(['online', 'offline', 'unknown']),
  stateReason: z.string().nullable(),
  maintenance: z.boolean(),
  /** Last `hello` (null until the node first answered). */
  capabilities: StoredCapabilities.nullable(),
  /** Last `node.info` figures (null until the node first answered). */
  info: NodeInfoResult.nullable(),
  lastSeenAt: z.string().nullable().describe('ISO time of the last successful poll'),
  createdAt: z.string(),
  nodeGroup: z.object({ id: z.string(), name: z.string() }).nullable(),
});

// Dates travel as ISO strings: the tRPC link has no transformer, and REST clients want strings anyway.
export function toNodeOutput(n: NodeView): z.infer<typeof NodeOutput> {
  return { ...n, lastSeenAt: n.lastSeenAt?.toISOString() ?? null, createdAt: n.createdAt.toISOString() };
}
