import { hostname } from 'node:os';
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { HelloResult, NodeInfoResult } from '@/agents/protocol';

export const LOCAL_NODE = 'local';

/** What the panel keeps of `hello`: capabilities plus who answered. */
export const StoredCapabilities = HelloResult.shape.capabilities.extend({
  agentVersion: HelloResult.shape.agentVersion.optional(),
  protocolVersion: HelloResult.shape.protocolVersion.optional(),
  hostname: HelloResult.shape.hostname.optional(),
});

export const nodeSelect = {
  id: true,
  name: true,
  address: true,
  sshPort: true,
  transport: true,
  hostKey: true,
  hostKeyMismatch: true,
  state: true,
  stateReason: true,
  maintenance: true,
  maintenanceReason: true,
  capabilities: true,
  info: true,
  lastSeenAt: true,
  createdAt: true,
  nodeGroup: { select: { id: true, name: true } },
} as const;

type NodeRow = Awaited<ReturnType<typeof loadNodes>>[number];

function loadNodes(prisma: PrismaClient, where: { name?: string } = {}) {
  return prisma.node.findMany({ where, select: nodeSelect, orderBy: { name: 'asc' } });
}

// Stored JSON is whatever the agent last sent; anything not matching today's schema shows as unknown.
export function present(n: NodeRow) {
  const caps = StoredCapabilities.safeParse(n.capabilities);
  const info = NodeInfoResult.safeParse(n.info);
  return { ...n, capabilities: caps.success ? caps.data : null, info: info.success ? info.data : null };
}

export type NodeView = ReturnType<typeof present>;

export async function listNodes(prisma: PrismaClient): Promise<NodeView[]> {
  return (await loadNodes(prisma)).map(present);
}

export async function getNodeByName(prisma: PrismaClient, name: string): Promise<NodeView> {
  const [n] = await loadNodes(prisma, { name });
  if (!n) throw new AppError('NOT_FOUND', `No node named ${name}`);
  return present(n);
}

/** Name and state of every node, for the health endpoint. */
export function nodeStates(prisma: PrismaClient) {
  return prisma.node.findMany({ select: { name: true, state: true, lastSeenAt: true }, orderBy: { name: 'asc' } });
}

/**
 * Registers this machine as node `local` (transport local) if it is not there yet; on later
 * starts it only refreshes the vzroot. Safe to call from several processes at once.
 */
export async function ensureLocalNode(prisma: PrismaClient, opts: { vzroot?: string } = {}) {
  return prisma.node.upsert({
    where: { name: LOCAL_NODE },
    create: { name: LOCAL_NODE, address: hostname() || '127.0.0.1', transport: 'local', vzroot: opts.vzroot ?? null, state: 'unknown' },
    update: opts.vzroot === undefined ? {} : { vzroot: opts.vzroot },
  });
}

/** Records a successful poll: capabilities, figures, online. */
export async function recordNodeSeen(prisma: PrismaClient, id: string, data: { capabilities: unknown; info: unknown }) {
  await prisma.node.update({
    where: { id },
    data: { capabilities: data.capabilities as object, info: data.info as object, state: 'online', stateReason: null, lastSeenAt: new Date() },
  });
}

/** Marks a node offline with the reason (the last error), keeping its last figures. */
export async function recordNodeOffline(prisma: PrismaClient, id: string, reason: string) {
  await prisma.node.update({ where: { id }, data: { state: 'offline', stateReason: reason.slice(0, 500) } });
}
