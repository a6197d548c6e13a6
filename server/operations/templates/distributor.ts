// The template distributor (a leader singleton beside the node monitor): every interval, and at once
// when a node comes online, queues the template copies that are due (services/templates/distribution/sweep).
import type { PrismaClient } from '@/server/db/client';
import { logger } from '@/server/logger';
import { queueDueSyncs } from '@/server/services/templates/distribution/sweep';

export interface TemplateDistributor {
  tick(nodeId?: string): Promise<number>;
  /** A node came (back) online: its due copies now rather than at the next tick. */
  kick(nodeId: string): void;
  stop(): Promise<void>;
}

export function startTemplateDistributor(opts: { prisma: PrismaClient; intervalMs?: number }): TemplateDistributor {
  let running: Promise<number> = Promise.resolve(0);
  const tick = (nodeId?: string) => {
    running = running.then(() => queueDueSyncs(opts.prisma, nodeId)).then((n) => {
      if (n) logger.info({ queued: n, nodeId }, 'template copies queued');
      return n;
    }, (err) => {
      logger.warn({ err: (err as Error).message }, 'template distribution sweep failed');
      return 0;
    });
    return running;
  };
  const timer = setInterval(() => void tick(), opts.intervalMs ?? Number(process.env.VZ_TEMPLATE_SWEEP_MS ?? 60_000));
  timer.unref();
  return {
    tick,
    kick: (nodeId) => void tick(nodeId),
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
