// The two repairs of one drifted field: take the node's value into the row, or queue a ve.set that
// puts the panel's value back on the node. Both lock the VE (lockVe) so they never race a task.
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { addressesOfVe } from '@/server/services/ippools/allocate';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { parseOrBadInput, readOverrides, type LimitKey } from '@/server/services/plans/limits';
import { clearDrift, NODE_LIMIT_KEYS, parseDrift, type DriftEntry, type DriftField } from './drift';
import { actorFields, lockVe } from './lock';
import type { Actor } from './scope';
import { Hostname } from './validate';

const TX = { maxWait: 10_000, timeout: 15_000 };
type Tx = Prisma.TransactionClient;
type LockedVe = Prisma.VeGetPayload<{ include: { plan: true } }>;

const isLimit = (f: DriftField): f is (typeof NODE_LIMIT_KEYS)[number] => (NODE_LIMIT_KEYS as readonly string[]).includes(f);

async function lockDrifted(tx: Tx, actor: Actor, veId: string, field: DriftField): Promise<{ ve: LockedVe; entry: DriftEntry }> {
  const ve = await lockVe(tx, veId, { actor, include: { plan: true } });
  const busy = await tx.task.count({ where: { veId: ve.id, status: { in: ['queued', 'running'] } } });
  if (busy) throw new AppError('BUSY', `VE ${ve.ctid} has a task in progress; look again when it has finished`);
  const entry = parseDrift(ve.drift)[field];
  if (!entry) throw new AppError('UNPROCESSABLE', `VE ${ve.ctid}: the node agrees with the panel on ${field}`, { field });
  return { ve, entry };
}

// Node addresses become the VE's: each must be a pool address that no other VE holds.
async function adoptAddresses(tx: Tx, ve: LockedVe, node: string[]) {
  const rows = await tx.ipAddress.findMany({ where: { address: { in: node } }, select: { id: true, address: true, veId: true } });
  for (const a of node) {
    const r = rows.find((x) => x.address === a);
    if (!r) throw new AppError('UNPROCESSABLE', `${a} is in no IP pool; add it to a pool first`, { field: 'ips' });
    if (r.veId && r.veId !== ve.id) throw new AppError('CONFLICT', `${a} belongs to another VE`, { field: 'ips' });
  }
  await tx.ipAddress.updateMany({ where: { veId: ve.id, address: { notIn: node } }, data: { veId: null, assignedAt: null } });
  await tx.ipAddress.updateMany({ where: { address: { in: node }, veId: null }, data: { veId: ve.id, assignedAt: new Date() } });
}

/** The row change that makes the panel say what the node says. */
async function takeField(tx: Tx, ve: LockedVe, field: DriftField, node: DriftEntry['node']) {
  // The reconciler already shows the node's power state; taking it only closes the question.
  if (field === 'state') return;
  if (field === 'hostname') return tx.ve.update({ where: { id: ve.id }, data: { hostname: parseOrBadInput(Hostname, node, 'hostname') } });
  if (field === 'onboot') return tx.ve.update({ where: { id: ve.id }, data: { onboot: node === true } });
  if (field === 'nameservers') return tx.ve.update({ where: { id: ve.id }, data: { nameservers: node as string[] } });
  if (field === 'ips') return adoptAddresses(tx, ve, node as string[]);
  if (field === 'template') {
    const t = await tx.template.findUnique({ where: { name: String(node) } });
    if (!t) throw new AppError('UNPROCESSABLE', `The node's template ${String(node)} is not known to the panel; add it first`, { field });
    return tx.ve.update({ where: { id: ve.id }, data: { templateId: t.id } });
  }
  const key = field as LimitKey;
  // The node already enforces its own ranges; the panel only needs a whole number in its units.
  if (typeof node !== 'number' || !Number.isSafeInteger(node) || node < 0) {
    throw new AppError('UNPROCESSABLE', `${key}: the node's value ${String(node)} is not a whole number in the panel's units; push the panel's value instead`, { field });
  }
  const value = node;
  // Kept as a per-VE override, so a later plan recalculation does not silently undo it.
  const overrides: Record<string, number> = readOverrides(ve.overrides);
  if (ve.plan && ve.plan[key as keyof typeof ve.plan] === value) delete overrides[key];
  else overrides[key] = value;
  return tx.ve.update({ where: { id: ve.id }, data: { limits: { ...(ve.limits as Record<string, number>), [key]: value }, overrides } });
}

/** "Take the node's value": the row gets what the node has; returns what changed (for the audit row). */
export async function takeNodeValue(prisma: PrismaClient, actor: Actor, veId: string, field: DriftField) {
  return prisma.$transaction(async (tx) => {
    const { ve, entry } = await lockDrifted(tx, actor, veId, field);
    await takeField(tx, ve, field, entry.node);
    await clearDrift(tx, ve.id, [field]);
    return { field, from: entry.panel, to: entry.node };
  }, TX);
}

/** The ve.set params that put the panel's current value of `field` on the node. */
async function pushParams(tx: Tx, ve: LockedVe, field: DriftField) {
  if (field === 'hostname') return { hostname: ve.hostname };
  if (field === 'onboot') return { onboot: ve.onboot };
  if (field === 'template') throw new AppError('UNPROCESSABLE', 'The template cannot be pushed: reinstall the VE to put the panel\'s template on it', { field });
  if (field === 'diskinodes') throw new AppError('UNPROCESSABLE', 'The inode count cannot be pushed: it is fixed when the filesystem is made (create or reinstall)', { field });
  if (isLimit(field)) {
    const v = (ve.limits as Record<string, unknown>)[field];
    if (typeof v !== 'number') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} has no ${field} limit to push`, { field });
    return { limits: { [field]: v } };
  }
  const addrs = await addressesOfVe(tx, ve.id);
  if (field === 'nameservers') return { nameservers: ve.nameservers.length ? ve.nameservers : [...new Set(addrs.flatMap((a) => a.nameservers))].slice(0, 3) };
  const gw = addrs.find((a) => a.family === 4 && a.gateway)?.gateway;
  return { ips: addrs.map((a) => `${a.address}/${a.prefix}`), ...(gw ? { gateway: gw } : {}) };
}

/** "Push the panel's value": queues a ve.set with the row's value of `field`; the drift clears when the node confirms. */
export async function pushPanelValue(prisma: PrismaClient, actor: Actor, veId: string, field: DriftField) {
  return prisma.$transaction(async (tx) => {
    const { ve, entry } = await lockDrifted(tx, actor, veId, field);
    if (ve.state === 'suspended') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is suspended`);
    if (field === 'state') {
      // Back to the power state the panel had: a start or stop task (it clears the drift when it succeeds).
      const type = entry.panel === 'running' ? 've.start' : 've.stop';
      const task = await enqueueTaskTx(tx, { type, params: { ctid: ve.ctid }, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
      return { taskId: task.id, field, from: entry.node, to: entry.panel };
    }
    const params = await pushParams(tx, ve, field);
    const task = await enqueueTaskTx(tx, { type: 've.set', params: { ctid: ve.ctid, ...params }, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
    return { taskId: task.id, field, from: entry.node, to: entry.panel };
  }, TX);
}
