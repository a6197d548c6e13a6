import type { PrismaClient } from '@/server/db/client';
import { ensureLocalNode } from '@/server/services/nodes';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { logger } from '@/server/logger';

/**
 * Registers this machine as node `local` (once; later starts reuse the row) and makes sure its
 * agent daemon runs. The daemon is detached: it and its containers outlive panel restarts.
 * A daemon that cannot start (not root, no LXC) is logged; the monitor then shows the node offline.
 * Returns the daemon when this call started it (the caller may stop it on shutdown).
 */
export async function bootLocalNode(prisma: PrismaClient, vzroot: string): Promise<LocalDaemon | undefined> {
  const node = await ensureLocalNode(prisma, { vzroot });
  try {
    const d = await ensureLocalDaemon({ vzroot });
    logger.info({ node: node.name, socket: d.socket, started: d.started }, 'local agent ready');
    return d.started ? d : undefined;
  } catch (err) {
    logger.error({ err, node: node.name }, 'local agent did not start; node stays offline until it does');
    return undefined;
  }
}
