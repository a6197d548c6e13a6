// Node lifecycle in the database: registration rows, maintenance, removal checks, host-key flags.
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';

/** stateReason of a node whose bootstrap task has not finished; the monitor leaves it alone. */
export const BOOTSTRAPPING = 'bootstrapping';

const IN_FLIGHT = ['queued', 'running'] as const;

export interface NewNodeRow {
  name: string;
  address: string;
  sshPort: number;
  sshUser: string;
  /** `type base64` line of the host key the admin confirmed. */
  hostKey: string;
  nodeGroupId?: string | null;
}

/**
 * Creates the row of a node that is about to be bootstrapped (state unknown, reason
 * "bootstrapping", host key pinned). A node of the same name that never answered and holds
 * nothing (an earlier failed bootstrap) is reused, so the admin can simply try again.
 */
export async function createBootstrapNode(tx: Prisma.TransactionClient, n: NewNodeRow) {
  if (n.nodeGroupId && !(await tx.nodeGroup.findUnique({ where: { id: n.nodeGroupId }, select: { id: true } }))) {
    throw new AppError('BAD_INPUT', 'nodeGroupId: unknown node group', { field: 'nodeGroupId' });
  }
  const data = {
    address: n.address, sshPort: n.sshPort, sshUser: n.sshUser, transport: 'ssh' as const, hostKey: n.hostKey,
    hostKeyMismatch: false, state: 'unknown' as const, stateReason: BOOTSTRAPPING, nodeGroupId: n.nodeGroupId ?? null,
  };
  const existing = await tx.node.findUnique({ where: { name: n.name }, include: { _count: { select: { ves: true } } } });
  if (!existing) return tx.node.create({ data: { name: n.name, ...data } });
  const busy = await tx.task.count({ where: { nodeId: existing.id, status: { in: [...IN_FLIGHT] } } });
  if (existing.lastSeenAt || existing._count.ves > 0 || existing.transport !== 'ssh' || busy > 0) {
    throw new AppError('CONFLICT', `A node named ${n.name} already exists`, { field: 'name' });
  }
  return tx.node.update({ where: { id: existing.id }, data });
}

/**
 * Maintenance on/off: a node in maintenance gets no new VEs and its customers cannot act on their
 * VEs. The reason is shown on the node page; turning maintenance off clears it.
 */
export async function setNodeMaintenance(prisma: PrismaClient, nodeId: string, maintenance: boolean, reason?: string | null) {
  const node = await prisma.node.findUnique({ where: { id: nodeId } });
  if (!node) throw new AppError('NOT_FOUND', 'node not found');
  return prisma.node.update({ where: { id: nodeId }, data: { maintenance, maintenanceReason: maintenance ? reason?.trim() || null : null } });
}

/**
 * Checks that a node may be forgotten: it holds no VEs and no task is queued or running on it.
 * Returns the node. Deleting the row is the caller's last step (after closing its connection).
 */
export async function assertNodeRemovable(prisma: PrismaClient, nodeId: string) {
  const node = await prisma.node.findUnique({ where: { id: nodeId }, include: { _count: { select: { ves: true } } } });
  if (!node) throw new AppError('NOT_FOUND', 'node not found');
  if (node._count.ves > 0) {
    // Name them (the first 20), so the admin sees at once what to evacuate or destroy.
    const ves = await prisma.ve.findMany({ where: { nodeId }, select: { id: true, ctid: true, hostname: true }, orderBy: { ctid: 'asc' }, take: 20 });
    const names = ves.map((v) => `${v.ctid} (${v.hostname})`).join(', ') + (node._count.ves > ves.length ? ` and ${node._count.ves - ves.length} more` : '');
    throw new AppError('CONFLICT', `Node ${node.name} still holds ${node._count.ves} VE(s): ${names}; evacuate or destroy them first`, { count: node._count.ves, ves });
  }
  // Template copies are work ahead of need, not to be waited for: they end harmlessly once the node is gone.
  const busy = await prisma.task.count({ where: { nodeId, status: { in: [...IN_FLIGHT] }, type: { not: 'template.sync' } } });
  if (busy > 0) throw new AppError('BUSY', `Node ${node.name} has ${busy} task(s) queued or running`, { tasks: busy });
  return node;
}

/** Forgets a node (pools, template caches and drift reports of it go with it; task history keeps the id null). */
export async function deleteNodeRow(prisma: PrismaClient, nodeId: string) {
  await prisma.node.delete({ where: { id: nodeId } });
}

/**
 * The node presented a host key other than the pinned one: flag it (connections stay refused,
 * placement skips it, the UI shows it) and mark it offline with the reason.
 */
export async function flagHostKeyMismatch(prisma: PrismaClient, nodeId: string, reason: string) {
  await prisma.node.updateMany({ where: { id: nodeId }, data: { hostKeyMismatch: true, state: 'offline', stateReason: reason.slice(0, 500) } });
}

/** Pins a new host key the admin confirmed and clears the flag; the monitor reconnects on its next poll. */
export async function repinHostKey(prisma: PrismaClient, nodeId: string, hostKey: string) {
  return prisma.node.update({ where: { id: nodeId }, data: { hostKey, hostKeyMismatch: false, state: 'unknown', stateReason: null } });
}
