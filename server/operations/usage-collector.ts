import type { PrismaClient, Node } from '@/server/db/client';
import { getAgent, type NodeSpec } from '@/server/nodes/pool';
import { nodeSpec } from '@/server/nodes/spec';
import { logger } from '@/server/logger';
import { ingestBatches, type IngestResult } from '@/server/services/usage/ingest';
import { runRetention } from '@/server/services/usage/partitions';

export interface UsageCollectorOptions {
  prisma: PrismaClient;
  intervalMs?: number;
  /** How often the retention job runs (default hourly; it also runs at start). */
  retentionMs?: number;
  specFor?: (node: Node) => NodeSpec;
  /** Called after each stored pull (the quota ladder runs then). */
  onStored?: (node: Node, r: IngestResult) => Promise<void> | void;
}

export interface UsageCollector {
  /** Pulls every online node once now (tests). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Every 10 s, pulls each online node's buffered usage batches (usage.pull), stores them and
 * acknowledges them with the next pull. A node answering "no such method" (an older agent) is
 * skipped; one slow node never delays the others.
 */
export function startUsageCollector(opts: UsageCollectorOptions): UsageCollector {
  const { prisma } = opts;
  const specFor = opts.specFor ?? nodeSpec;
  const acks = new Map<string, { spool: string; seq: number }>();
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;

  async function pullNode(node: Node): Promise<void> {
    const client = getAgent(node.id, specFor(node));
    for (let round = 0; round < 20 && !stopped; round++) {
      const ack = acks.get(node.id);
      const r = await client.call('usage.pull', { spool: ack?.spool, ack: ack?.seq, max: 60 }, { timeoutMs: 15_000 });
      if (!r.batches.length) return;
      const stored = await ingestBatches(prisma, node.id, r.spool, r.batches);
      if (stored.ackSeq !== undefined) acks.set(node.id, { spool: r.spool, seq: stored.ackSeq });
      await opts.onStored?.(node, stored);
      if (!r.more) return;
    }
  }

  async function tick(): Promise<void> {
    const nodes = await prisma.node.findMany({ where: { state: 'online' } }).catch(() => [] as Node[]);
    await Promise.all(nodes.map((n) => {
      const running = inFlight.get(n.id);
      if (running) return running;
      const p = pullNode(n)
        .catch((err: Error) => {
          if (/METHOD_NOT_FOUND|unknown method/i.test(err.message)) return;
          logger.warn({ node: n.name, err: err.message }, 'usage pull failed (samples stay buffered on the node)');
        })
        .finally(() => inFlight.delete(n.id));
      inFlight.set(n.id, p);
      return p;
    }));
  }

  const retention = async () => {
    try {
      const dropped = await runRetention(prisma);
      if (dropped.length) logger.info({ dropped }, 'usage partitions past retention dropped');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'usage retention failed');
    }
  };
  void retention();
  const timer = setInterval(() => void tick(), opts.intervalMs ?? 10_000);
  const rtimer = setInterval(() => void retention(), opts.retentionMs ?? 3_600_000);
  timer.unref();
  rtimer.unref();

  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(rtimer);
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
