import type { PrismaClient, Node } from '@/server/db/client';
import { getAgent, type NodeSpec } from '@/server/nodes/pool';
import { recordNodeOffline, recordNodeSeen } from '@/server/services/nodes';
import { BOOTSTRAPPING, flagHostKeyMismatch } from '@/server/services/nodes/manage';
import { isAppError } from '@/server/errors';
import { logger } from '@/server/logger';
import { nodeSpec } from '@/server/nodes/spec';

export interface NodeMonitorOptions {
  prisma: PrismaClient;
  intervalMs?: number;
  /** A node that has failed every poll for longer than this is marked offline. */
  offlineAfterMs?: number;
  callTimeoutMs?: number;
  specFor?: (node: Node) => NodeSpec;
  /** Called when a node answers after being offline/unknown (the reconciler runs then). */
  onOnline?: (node: Node) => void;
}

// The transport refused the node's host key (a changed or impostor host): flag it, do not retry blindly.
const isHostKeyMismatch = (e: unknown) => isAppError(e) && e.code === 'FORBIDDEN' && e.data?.reason === 'HOST_KEY_MISMATCH';

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
    // Its bootstrap task brings it online; polling before the key is installed only adds noise.
    if (node.state === 'unknown' && node.stateReason === BOOTSTRAPPING) return;
    try {
      const client = getAgent(node.id, specFor(node));
      const [hello, info] = await Promise.all([client.call('hello', {}, { timeoutMs }), client.call('node.info', {}, { timeoutMs })]);
      const { capabilities, agentVersion, protocolVersion, hostname } = hello;
      await recordNodeSeen(prisma, node.id, { capabilities: { ...capabilities, agentVersion, protocolVersion, hostname }, info });
      failingSince.delete(node.id);
      if (node.state !== 'online') opts.onOnline?.(node);
    } catch (err) {
      if (isHostKeyMismatch(err) && !node.hostKeyMismatch) {
        logger.error({ node: node.name, err: (err as Error).message }, 'node host key mismatch');
        await flagHostKeyMismatch(prisma, node.id, (err as Error).message).catch(() => undefined);
        return;
      }
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
