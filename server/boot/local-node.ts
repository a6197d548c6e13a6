import type { PrismaClient } from '@/server/db/client';
import { ensureLocalNode } from '@/server/services/nodes';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { logger } from '@/server/logger';
import { seedDefaults } from './defaults';

/**
 * Registers this machine as node `local` (once; later starts reuse the row) and makes sure its
 * agent daemon runs. The daemon is detached: it and its containers outlive panel restarts.
 * A daemon that cannot start (not root, no LXC) is logged; the monitor then shows the node offline.
 * Returns the daemon when this call started it (the caller may stop it on shutdown).
 */
export async function bootLocalNode(prisma: PrismaClient, vzroot: string): Promise<LocalDaemon | undefined> {
  const node = await ensureLocalNode(prisma, { vzroot });
  // The default bridge of a real all-in-one install gets the gateway address of the local pool.
  const bridge = process.env.VZ_BRIDGE ?? 'vzbr0';
  const bridgeAddr = process.env.VZ_BRIDGE_ADDR ?? (bridge === 'vzbr0' ? '10.199.0.1/24' : undefined);
  await seedDefaults(prisma, { localNodeId: node.id, bridgeAddr });
  try {
    const d = await ensureLocalDaemon({ vzroot, bridge, env: { VZ_BRIDGE_ADDR: bridgeAddr } });
    logger.info({ node: node.name, socket: d.socket, started: d.started }, 'local agent ready');
    return d.started ? d : undefined;
  } catch (err) {
    logger.error({ err, node: node.name }, 'local agent did not start; node stays offline until it does');
    return undefined;
  }
}
