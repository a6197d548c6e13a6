// A direct connection to an agent daemon's unix socket, without the `vzagent rpc` bridge process
// (agents/src/cli/rpc.ts only pipes that same JSON-lines stream). For simulated fleets on one
// machine (bench/fleet-sim.ts, tests with test/fixtures/fake-agent.ts): with a bridge process per
// node, 200 nodes would measure process spawning, not the panel. Real nodes use ssh or local.
import net from 'node:net';
import { AppError } from '@/server/errors';
import type { AgentTransport, RpcChannel } from './transport';

export class SocketTransport implements AgentTransport {
  readonly kind = 'local' as const;
  private readonly channels = new Set<RpcChannel>();
  private closed = false;

  constructor(private readonly socket: string) {}

  async openRpcStream(): Promise<RpcChannel> {
    if (this.closed) throw new AppError('NODE_OFFLINE', 'socket transport is closed');
    const conn = net.connect(this.socket);
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', resolve);
      conn.once('error', (e) => reject(new AppError('NODE_OFFLINE', `cannot reach the agent at ${this.socket}: ${e.message}`)));
    });
    conn.on('error', () => {}); // a reset ends the stream; AgentClient sees the close and reconnects
    const channel: RpcChannel = { stream: conn, stderrTail: () => '', close: () => conn.destroy() };
    this.channels.add(channel);
    conn.once('close', () => this.channels.delete(channel));
    return channel;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.channels) c.close();
  }
}
