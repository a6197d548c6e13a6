import path from 'node:path';
import type { Node } from '@/server/db/client';
import type { NodeSpec } from '@/server/nodes/pool';
import { fingerprintOfPublicKeyLine, loadOrCreatePanelKey } from '@/server/nodes/ssh/keys';
import { AppError } from '@/server/errors';

export const DEFAULT_VZROOT = '/var/lib/vz';

/** How to reach a node's agent, from its row: the local daemon's socket, or SSH with the pinned host key. */
export function nodeSpec(node: Pick<Node, 'name' | 'transport' | 'vzroot' | 'address' | 'sshPort' | 'sshUser' | 'hostKey' | 'hostKeyMismatch'>): NodeSpec {
  if (node.transport === 'local') {
    return { transport: 'local', socket: path.join(node.vzroot ?? DEFAULT_VZROOT, 'run', 'vzagentd.sock') };
  }
  if (!node.hostKey) throw new AppError('UNPROCESSABLE', `node ${node.name} has no pinned host key`);
  if (node.hostKeyMismatch) throw new AppError('FORBIDDEN', `node ${node.name} presented a different host key; refusing to connect`);
  return {
    transport: 'ssh',
    target: {
      name: node.name,
      host: node.address,
      port: node.sshPort,
      username: node.sshUser,
      hostKeyFingerprint: fingerprintOfPublicKeyLine(node.hostKey),
      privateKey: loadOrCreatePanelKey().privateKey,
    },
  };
}
