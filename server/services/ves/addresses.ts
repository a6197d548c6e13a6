// Extra IPv4/IPv6 addresses of a VE, from the pools serving its node: bound to the VE when asked (so
// no one else takes them), configured live on the node by a ve.address task, freed when removed.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { addressesNotServedBy, allocateAddresses } from '@/server/services/ippools/allocate';
import { canonicalIp } from '@/server/services/ippools/ip';
import type { Actor } from './scope';
import { actorFields, lockVe } from './lock';

const TX = { maxWait: 10_000, timeout: 15_000 };
// A suspended VE's addresses belong to the suspension (network mode removed them): leave them be.
const CHANGEABLE = ['running', 'stopped'];

export interface AddAddressRequest {
  family: 4 | 6;
  /** A particular free address of a pool serving the VE's node; omitted = the next free one. */
  address?: string;
}

/** Binds one more address to the VE and queues ve.address add; CAPACITY when no pool has one free. */
export async function requestAddVeAddress(prisma: PrismaClient, actor: Actor, veId: string, req: AddAddressRequest) {
  const wanted = req.address === undefined ? undefined : canonicalIp(req.address);
  if (req.address !== undefined && !wanted) throw new AppError('BAD_INPUT', `address: ${req.address} is not an IP address`, { field: 'address' });
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor });
    if (!CHANGEABLE.includes(ve.state)) throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is ${ve.state}; addresses change only while it is running or stopped`, { state: ve.state });
    let row: { address: string; prefix: number };
    if (wanted) {
      const ip = await tx.ipAddress.findUnique({ where: { address: wanted }, include: { pool: true } });
      if (!ip) throw new AppError('BAD_INPUT', `address: ${wanted} is in no IP pool`, { field: 'address' });
      if (ip.veId || ip.reserved) throw new AppError('CONFLICT', `${wanted} is ${ip.reserved ? 'reserved' : 'already assigned'}`, { field: 'address' });
      if (ip.pool.family !== req.family) throw new AppError('BAD_INPUT', `address: ${wanted} is not IPv${req.family}`, { field: 'address' });
      const claimed = await tx.ipAddress.updateMany({ where: { id: ip.id, veId: null }, data: { veId: ve.id, assignedAt: new Date() } });
      if (!claimed.count) throw new AppError('CONFLICT', `${wanted} was just assigned to another VE`, { field: 'address' });
      if ((await addressesNotServedBy(tx, ve.id, ve.nodeId)).includes(wanted)) throw new AppError('BAD_INPUT', `address: pool ${ip.pool.name} does not serve this VE's node`, { field: 'address' });
      row = { address: wanted, prefix: ip.pool.prefix };
    } else {
      const [a] = await allocateAddresses(tx, { nodeId: ve.nodeId, count: 1, family: req.family, veId: ve.id });
      row = { address: a.address, prefix: a.prefix };
    }
    const task = await enqueueTaskTx(tx, {
      type: 've.address', params: { ctid: ve.ctid, op: 'add', address: row.address, cidr: `${row.address}/${row.prefix}` },
      veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor),
    });
    return { taskId: task.id, address: row.address };
  }, TX);
}

/** Queues ve.address remove for one of the VE's addresses; the last address of a VE is kept (it would be unreachable). */
export async function requestRemoveVeAddress(prisma: PrismaClient, actor: Actor, veId: string, address: string) {
  const ipText = canonicalIp(address);
  if (!ipText) throw new AppError('BAD_INPUT', `address: ${address} is not an IP address`, { field: 'address' });
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor, include: { ipAddresses: { include: { pool: true } } } });
    if (!CHANGEABLE.includes(ve.state)) throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is ${ve.state}; addresses change only while it is running or stopped`, { state: ve.state });
    const ip = ve.ipAddresses.find((a) => a.address === ipText);
    if (!ip) throw new AppError('NOT_FOUND', `${ipText} is not an address of VE ${ve.ctid}`);
    if (ve.ipAddresses.length === 1) throw new AppError('UNPROCESSABLE', `${ipText} is the only address of VE ${ve.ctid}; add another first`);
    const pending = await tx.task.count({ where: { veId: ve.id, type: 've.address', status: { in: ['queued', 'running'] }, params: { path: ['address'], equals: ipText } } });
    if (pending) throw new AppError('CONFLICT', `${ipText} is already being changed; wait for that task`);
    const task = await enqueueTaskTx(tx, {
      type: 've.address', params: { ctid: ve.ctid, op: 'remove', address: ipText, cidr: `${ipText}/${ip.pool.prefix}` },
      veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor),
    });
    return { taskId: task.id, address: ipText };
  }, TX);
}
