import type { PrismaClient } from '@/server/db/client';
import { ensureLocalNode } from '@/server/services/nodes';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { logger } from '@/server/logger';
import { seedDefaults } from './defaults';
import { grantSocket, type PanelUser } from './privileges';

/** The local node's bridge, and the gateway address a real all-in-one install's default bridge gets. */
function localBridge(): { bridge: string; bridgeAddr?: string } {
  const bridge = process.env.VZ_BRIDGE ?? 'vzbr0';
  return { bridge, bridgeAddr: process.env.VZ_BRIDGE_ADDR ?? (bridge === 'vzbr0' ? '10.199.0.1/24' : undefined) };
}

/**
 * Makes sure the local agent daemon runs (it needs root to start: the panel calls this before it
 * drops privileges). With `user`, its socket is opened to that user's group: a daemon we start
 * gets `--socket-group`, one already running has its socket's group granted. The daemon is
 * detached: it and its containers outlive panel restarts. A daemon that cannot start (not root,
 * no LXC) is logged; the monitor then shows the node offline.
 * Returns the daemon when this call started it.
 */
export async function startLocalAgent(vzroot: string, user?: PanelUser): Promise<LocalDaemon | undefined> {
  const { bridge, bridgeAddr } = localBridge();
  try {
    const d = await ensureLocalDaemon({ vzroot, bridge, group: user ? String(user.gid) : undefined, env: { VZ_BRIDGE_ADDR: bridgeAddr } });
    if (user && !d.started) grantSocket(d.socket, user);
    logger.info({ socket: d.socket, started: d.started, group: user?.name }, 'local agent ready');
    return d.started ? d : undefined;
  } catch (err) {
    logger.error({ err }, 'local agent did not start; node stays offline until it does');
    return undefined;
  }
}

/** Registers this machine as node `local` (once; later starts reuse the row) and seeds a fresh install's plan and pool. */
export async function registerLocalNode(prisma: PrismaClient, vzroot: string): Promise<void> {
  const node = await ensureLocalNode(prisma, { vzroot });
  await seedDefaults(prisma, { localNodeId: node.id, bridgeAddr: localBridge().bridgeAddr });
}
