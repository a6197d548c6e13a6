// SSH keys of a VE: kept by the panel (so a reinstall can write them again) and put into the VE's
// /root/.ssh/authorized_keys by a ve.sshkeys task; removal drops only that key's line.
import { createHash } from 'node:crypto';
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { parseOrBadInput } from '@/server/services/plans';
import { ownerScope, scoped, VE_NOT_FOUND, type Actor } from './scope';
import { actorFields, lockVe } from './lock';
import { SshKey } from './validate';
import { assertCustomerActionAllowed } from '@/server/services/nodes/guards';

const TX = { maxWait: 10_000, timeout: 15_000 };
const CHANGEABLE = ['running', 'stopped'];
const NODE = { select: { name: true, state: true, maintenance: true, hostKeyMismatch: true } } as const;

// Same rules as every other change: running or stopped; customers wait out maintenance and offline nodes.
function assertChangeable(actor: Actor, ve: { ctid: number; state: string; node: { name: string; state: string; maintenance: boolean; hostKeyMismatch: boolean } }) {
  if (!CHANGEABLE.includes(ve.state)) throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is ${ve.state}; keys change only while it is running or stopped`, { state: ve.state });
  if (actor.role === 'customer') assertCustomerActionAllowed(ve as Parameters<typeof assertCustomerActionAllowed>[0]);
}
const MAX_KEYS = 32;

/** `ssh-keygen -l -E sha256` form of a key line already checked by SshKey. */
export function sshKeyFingerprint(line: string): string {
  return 'SHA256:' + createHash('sha256').update(Buffer.from(line.trim().split(' ')[1], 'base64')).digest('base64').replace(/=+$/, '');
}

const scopeOf = (actor: Actor) => (actor.role === 'customer' ? ownerScope({ id: actor.userId ?? '' }) : undefined);
const view = (k: { id: string; publicKey: string; fingerprint: string; comment: string | null; createdAt: Date }) => ({
  id: k.id, type: k.publicKey.split(' ')[0], fingerprint: k.fingerprint, comment: k.comment, createdAt: k.createdAt.toISOString(),
});

/** The VE's keys, newest last; NOT_FOUND outside the actor's scope. */
export async function listVeSshKeys(prisma: PrismaClient, actor: Actor, veId: string) {
  const ve = await prisma.ve.findFirst({ where: scoped({ id: veId }, scopeOf(actor)), select: { sshKeys: { orderBy: { createdAt: 'asc' } } } });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  return ve.sshKeys.map(view);
}

function queue(tx: Prisma.TransactionClient, actor: Actor, ve: { id: string; ctid: number; nodeId: string }, add: string[], remove: string[]) {
  return enqueueTaskTx(tx, { type: 've.sshkeys', params: { ctid: ve.ctid, add, remove }, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor) });
}

/** Records the key and queues writing it into the VE; CONFLICT when the VE already has it. */
export async function requestAddVeSshKey(prisma: PrismaClient, actor: Actor, veId: string, publicKey: string) {
  const line = parseOrBadInput(SshKey, publicKey, 'publicKey');
  const fingerprint = sshKeyFingerprint(line);
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor, include: { sshKeys: { select: { fingerprint: true } }, node: NODE } });
    assertChangeable(actor, ve);
    if (ve.sshKeys.some((k) => k.fingerprint === fingerprint)) throw new AppError('CONFLICT', `VE ${ve.ctid} already has key ${fingerprint}`, { field: 'publicKey' });
    if (ve.sshKeys.length >= MAX_KEYS) throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} has ${MAX_KEYS} keys already; remove one first`);
    const comment = line.split(' ').slice(2).join(' ') || null;
    const key = await tx.veSshKey.create({ data: { veId: ve.id, publicKey: line, fingerprint, comment } });
    const task = await queue(tx, actor, ve, [line], []);
    return { taskId: task.id, key: view(key) };
  }, TX);
}

/** Queues removing the key from the VE; its record goes when the node has done it. */
export async function requestRemoveVeSshKey(prisma: PrismaClient, actor: Actor, veId: string, keyId: string) {
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor, include: { sshKeys: true, node: NODE } });
    assertChangeable(actor, ve);
    const key = ve.sshKeys.find((k) => k.id === keyId);
    if (!key) throw new AppError('NOT_FOUND', `VE ${ve.ctid} has no such key`);
    const task = await queue(tx, actor, ve, [], [key.publicKey]);
    return { taskId: task.id, key: view(key) };
  }, TX);
}

/** The key lines a reinstall writes into the fresh filesystem. */
export async function veSshKeyLines(db: PrismaClient, veId: string): Promise<string[]> {
  return (await db.veSshKey.findMany({ where: { veId }, orderBy: { createdAt: 'asc' }, select: { publicKey: true } })).map((k) => k.publicKey);
}

/** Records keys given at create (the create task writes them into the VE). */
export async function recordCreateSshKeys(tx: Prisma.TransactionClient, veId: string, lines: string[]): Promise<void> {
  const seen = new Set<string>();
  const rows = lines.map((l) => ({ veId, publicKey: l.trim(), fingerprint: sshKeyFingerprint(l), comment: l.trim().split(' ').slice(2).join(' ') || null }))
    .filter((r) => !seen.has(r.fingerprint) && seen.add(r.fingerprint));
  if (rows.length) await tx.veSshKey.createMany({ data: rows, skipDuplicates: true });
}
