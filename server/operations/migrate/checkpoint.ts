// Whether a node can checkpoint VEs (CRIU), and why not: what the UI shows beside the feature.
import type { Node } from '@/server/db/client';
import { StoredCapabilities } from '@/server/services/nodes';

/** From the node's stored `hello` capabilities; unknown capabilities read as not usable. */
export function checkpointSupport(node: Pick<Node, 'name' | 'capabilities'>): { usable: boolean; reason: string } {
  const caps = StoredCapabilities.safeParse(node.capabilities);
  if (!caps.success) return { usable: false, reason: `the capabilities of node ${node.name} are not known yet` };
  const { criu } = caps.data;
  if (!criu.usable) return { usable: false, reason: `CRIU is not usable on node ${node.name}: ${criu.reason ?? 'criu check failed'}` };
  if (!caps.data.features.includes('criu-checkpoint')) return { usable: false, reason: `the agent on node ${node.name} does not implement CRIU checkpoints yet` };
  return { usable: true, reason: `CRIU works on node ${node.name}` };
}
