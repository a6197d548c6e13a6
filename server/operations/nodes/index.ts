// Admin node actions that need SSH or the task queue: probe, add (bootstrap task), re-pin, remove.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { closeAgent } from '@/server/nodes/pool';
import { fetchHostKey, type HostKeyInfo } from '@/server/nodes/ssh/hostkey';
import { assertNodeRemovable, createBootstrapNode, deleteNodeRow, repinHostKey } from '@/server/services/nodes/manage';
import { enqueueTask, enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { taskHandler } from '../tasks/registry';
import { sealCredential, type BootstrapCredential } from './credential';
import type { NodeBootstrapParams } from './bootstrap-task';

export { registerNodeTaskHandlers, configureNodeBootstrap } from './bootstrap-task';

/** Reads the SSH host key a node presents (no login attempted) so the admin can compare it. */
export function probeHostKey(address: string, sshPort: number): Promise<HostKeyInfo> {
  return fetchHostKey(address, sshPort);
}

// The key must still be the one the admin looked at: re-read it and compare before trusting it.
export async function confirmedHostKey(address: string, sshPort: number, fingerprint: string): Promise<HostKeyInfo> {
  const presented = await fetchHostKey(address, sshPort);
  if (presented.fingerprint !== fingerprint) {
    throw new AppError('CONFLICT', `Host key changed: ${address}:${sshPort} now presents ${presented.fingerprint}, not the ${fingerprint} you confirmed; compare again before trusting it`, {
      field: 'hostKeyFingerprint', presented: presented.fingerprint,
    });
  }
  return presented;
}

export interface AddNodeInput {
  name: string;
  address: string;
  sshPort: number;
  sshUser?: string;
  hostKeyFingerprint: string;
  credential: BootstrapCredential;
  nodeGroupId?: string | null;
}

/**
 * Adds a node: pins the confirmed host key on a new Node row and queues `node.bootstrap`, which
 * installs the agent with the one-time credential (sealed in the task, erased when it ends) and
 * from then on the panel reaches the node with its restricted key only.
 */
export async function requestAddNode(prisma: PrismaClient, actor: { userId?: string | null }, input: AddNodeInput) {
  const key = await confirmedHostKey(input.address, input.sshPort, input.hostKeyFingerprint);
  const sshUser = input.sshUser ?? 'root';
  return prisma.$transaction(async (tx) => {
    const node = await createBootstrapNode(tx, { name: input.name, address: input.address, sshPort: input.sshPort, sshUser, hostKey: key.publicKey, nodeGroupId: input.nodeGroupId });
    const params: NodeBootstrapParams = { address: input.address, sshPort: input.sshPort, sshUser, hostKeyFingerprint: key.fingerprint, credential: sealCredential(input.credential) };
    const task = await enqueueTaskTx(tx, { type: 'node.bootstrap', params: { ...params }, nodeId: node.id, userId: actor.userId ?? null, queue: `node:${node.id}`, maxAttempts: 1 });
    return { nodeId: node.id, taskId: task.id, hostKeyFingerprint: key.fingerprint };
  });
}

/**
 * After a host-key mismatch, pins the key the node presents now, but only if it is the one the
 * admin confirmed (they compared it out of band). Clears the flag; the next poll reconnects.
 */
export async function acceptNewHostKey(prisma: PrismaClient, nodeId: string, fingerprint: string) {
  const node = await prisma.node.findUnique({ where: { id: nodeId } });
  if (!node) throw new AppError('NOT_FOUND', 'node not found');
  if (node.transport !== 'ssh') throw new AppError('UNPROCESSABLE', `node ${node.name} is reached locally and has no SSH host key`);
  const key = await confirmedHostKey(node.address, node.sshPort, fingerprint);
  await closeAgent(nodeId);
  return repinHostKey(prisma, nodeId, key.publicKey);
}

/**
 * Removes a node. Refuses while it holds VEs unless `evacuate`, which queues `node.evacuate`
 * when that task type exists (fleet operations) and is UNPROCESSABLE otherwise.
 */
export async function removeNode(prisma: PrismaClient, actor: { userId?: string | null }, nodeId: string, opts: { evacuate?: boolean } = {}) {
  const node = await prisma.node.findUnique({ where: { id: nodeId }, include: { _count: { select: { ves: true } } } });
  if (!node) throw new AppError('NOT_FOUND', 'node not found');
  if (opts.evacuate && node._count.ves > 0) {
    if (!taskHandler('node.evacuate')) throw new AppError('UNPROCESSABLE', 'evacuation is part of fleet operations');
    const task = await enqueueTask(prisma, { type: 'node.evacuate', params: { removeAfter: true }, nodeId, userId: actor.userId ?? null, queue: `node:${nodeId}` });
    return { removed: false, taskId: task.id };
  }
  await assertNodeRemovable(prisma, nodeId);
  await closeAgent(nodeId);
  await deleteNodeRow(prisma, nodeId);
  return { removed: true, taskId: null };
}
