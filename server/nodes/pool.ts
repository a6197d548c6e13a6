import { AppError } from '@/server/errors';
import { AgentClient, type AgentClientOptions } from './client';
import { LocalTransport } from './local';
import { SocketTransport } from './socket';
import { SshTransport, type SshTarget, type SshTransportOptions } from './ssh/transport';
import type { AgentTransport } from './transport';

/** How to reach a node's agent. */
export type NodeSpec =
  | { transport: 'local'; socket: string; agentBin?: string }
  | { transport: 'ssh'; target: SshTarget; options?: SshTransportOptions }
  /** The daemon's socket without a bridge process: simulated fleets only (socket.ts). */
  | { transport: 'socket'; socket: string };

interface Entry {
  key: string;
  client: AgentClient;
  transport: AgentTransport;
}

const clients = new Map<string, Entry>();

// Identity of a spec without secrets: a changed address/socket/host key means a new client.
const specKey = (s: NodeSpec): string =>
  s.transport === 'local'
    ? `local:${s.socket}:${s.agentBin ?? ''}`
    : s.transport === 'socket'
      ? `socket:${s.socket}`
      : `ssh:${s.target.username ?? 'root'}@${s.target.host}:${s.target.port}:${s.target.hostKeyFingerprint}`;

function makeTransport(spec: NodeSpec): AgentTransport {
  if (spec.transport === 'local') return new LocalTransport({ socket: spec.socket, agentBin: spec.agentBin });
  if (spec.transport === 'ssh') return new SshTransport(spec.target, spec.options);
  if (spec.transport === 'socket') return new SocketTransport(spec.socket);
  throw new AppError('INTERNAL', `unknown transport ${(spec as { transport: string }).transport}`);
}

/** The one AgentClient for a node (created on first use; replaced when its spec changes). */
export function getAgent(nodeId: string, spec: NodeSpec, opts: AgentClientOptions = {}): AgentClient {
  const key = specKey(spec);
  const cur = clients.get(nodeId);
  if (cur && cur.key === key) return cur.client;
  if (cur) void cur.client.close();
  const transport = makeTransport(spec);
  const client = new AgentClient(transport, { node: nodeId, ...opts });
  clients.set(nodeId, { key, client, transport });
  return client;
}

/** The node's pooled transport (the one its AgentClient uses), for streams beside RPC such as the console. */
export function getTransport(nodeId: string, spec: NodeSpec): AgentTransport {
  getAgent(nodeId, spec);
  return clients.get(nodeId)!.transport;
}

/** Drop a node's client (node removed or its address changed). */
export async function closeAgent(nodeId: string): Promise<void> {
  const cur = clients.get(nodeId);
  clients.delete(nodeId);
  await cur?.client.close();
}

/** Close every client (panel shutdown, end of a test file). */
export async function closeAll(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.allSettled(all.map((e) => e.client.close()));
}
