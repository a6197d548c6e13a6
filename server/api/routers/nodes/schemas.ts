import { z } from 'zod';
import { NodeInfoResult } from '@/agents/protocol';
import { StoredCapabilities, type NodeView } from '@/server/services/nodes';
import { fingerprintOfPublicKeyLine } from '@/server/nodes/ssh/keys';
import { capabilityReport } from '@/server/services/nodes/capabilities';

const fingerprintOf = (line: string | null): string | null => {
  try {
    return line ? fingerprintOfPublicKeyLine(line) : null;
  } catch {
    return null;
  }
};

export const NodeOutput = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  sshPort: z.number().int(),
  transport: z.enum(['local', 'ssh']),
  hostKeyFingerprint: z.string().nullable().describe('SHA256 fingerprint of the pinned SSH host key (ssh nodes)'),
  hostKeyMismatch: z.boolean().describe('The node presented another host key: connections are refused until an admin accepts it'),
  state: z.enum(['online', 'offline', 'unknown']),
  stateReason: z.string().nullable(),
  maintenance: z.boolean(),
  maintenanceReason: z.string().nullable(),
  capabilityReport: z.array(z.object({ key: z.string(), label: z.string(), on: z.boolean(), detail: z.string() })).describe('Each capability, and why it is off'),
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
  const { hostKey, ...rest } = n;
  return { ...rest, capabilityReport: capabilityReport(n), hostKeyFingerprint: fingerprintOf(hostKey), lastSeenAt: n.lastSeenAt?.toISOString() ?? null, createdAt: n.createdAt.toISOString() };
}
