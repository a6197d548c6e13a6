import type { PrismaClient, Node } from '@/server/db/client';
import { getAgent, type NodeSpec } from '@/server/nodes/pool';
import { recordNodeOffline, recordNodeSeen } from '@/server/services/nodes';
import { logger } from '@/server/logger';
import { nodeSpec } from './node-spec';

export interface NodeMonitorOptions {
  prisma: PrismaClient;
  intervalMs?: number;
  /** A node that has failed every poll for longer than this is marked offline. */
  offlineAfterMs?: number;
  callTimeoutMs?: number;
  specFor?: (node: Node) => NodeSpec;
}

export interface NodeMonitor {
  /** Polls every node once now (tests, and the first tick). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Polls each node's agent (hello + node.info) every 5 s and stores capabilities, figures,
 * state and lastSeenAt. One slow node never delays the others, and a poll still running
 * for a node is not started twice.
 */
export function startNodeMonitor(opts: NodeMonitorOptions): NodeMonitor {
  const { prisma } = opts;
  const intervalMs = opts.intervalMs ?? 5_000;
  const offlineAfterMs = opts.offlineAfterMs ?? 15_000;
  const timeoutMs = opts.callTimeoutMs ?? 4_000;
  const specFor = opts.specFor ?? nodeSpec;
  const failingSince = new Map<string, number>();
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;

  async function poll(node: Node): Promise<void> {
    try {
      const client = getAgent(node.id, specFor(node));
      const [hello, info] = await Promise.all([client.call('hello', {}, { timeoutMs }), client.call('node.info', {}, { timeoutMs })]);
      const { capabilities, agentVersion, protocolVersion, hostname } = hello;
      await recordNodeSeen(prisma, node.id, { capabilities: { ...capabilities, agentVersion, protocolVersion, hostname }, info });
      failingSince.delete(node.id);
    } catch (err) {
      const since = failingSince.get(node.id) ?? Date.now();
      failingSince.set(node.id, since);
      const reason = err instanceof Error ? err.message : String(err);
      // A short blip (agent restart) does not flap the state; a node never seen goes offline at once.
      if (node.state !== 'offline' && (Date.now() - since > offlineAfterMs || !node.lastSeenAt)) {
        logger.warn({ node: node.name, reason }, 'node offline');
        await recordNodeOffline(prisma, node.id, reason).catch(() => undefined);
      }
    }
  }

  async function tick(): Promise<void> {
    let nodes: Node[];
    try {
      nodes = await prisma.node.findMany();
    } catch (err) {
      logger.error({ err }, 'node monitor: cannot list nodes');
      return;
    }
    await Promise.all(
      nodes.map((n) => {
        const running = inFlight.get(n.id);
        if (running) return running;
        const p = poll(n).finally(() => inFlight.delete(n.id));
        inFlight.set(n.id, p);
        return p;
      }),
    );
  }

  // Ticks start polls without waiting for slow ones, so one hung node never delays the rest.
  let wake: (() => void) | undefined;
  const loop = async () => {
    while (!stopped) {
      void tick();
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, intervalMs).unref();
      });
    }
  };
  void loop();

  return {
    tick,
    async stop() {
      stopped = true;
      wake?.();
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
