// Backup requests: each locks the VE in the actor's scope, checks the plan's quota for customers and
// billing, writes its Backup row and queues the task in one transaction (a task never without its row).
import { randomBytes } from 'node:crypto';
import type { Backup, BackupKind, Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { actorFields, lockVe } from '@/server/services/ves/lock';
import { requestCreateVe } from '@/server/services/ves/create';
import type { CreateVeInput } from '@/server/services/ves/validate';
import type { Actor } from '@/server/services/ves/scope';
import { BACKUP_NOT_FOUND, backupScope } from './scope';

type Tx = Prisma.TransactionClient;
const LIVE: Backup['state'][] = ['queued', 'running', 'completed'];
/** Attempts of a backup task (storage unreachable, full or locked is retried with backoff); VZ_BACKUP_ATTEMPTS overrides. */
export const backupAttempts = (): number => Math.max(1, Number(process.env.VZ_BACKUP_ATTEMPTS ?? 5) || 5);

/** The storage a VE's backups go to: its own schedule's, its plan's, else the first healthy one. */
export async function storageForVe(tx: Tx | PrismaClient, ve: { id: string; planId: string | null }, wanted?: string): Promise<string> {
  if (wanted) {
    if (!(await tx.backupStorage.findUnique({ where: { id: wanted }, select: { id: true } }))) throw new AppError('BAD_INPUT', 'storageId: unknown backup storage', { field: 'storageId' });
    return wanted;
  }
  const sched = await tx.backupSchedule.findFirst({ where: { OR: [{ veId: ve.id }, ...(ve.planId ? [{ planId: ve.planId }] : [])] }, orderBy: { veId: { sort: 'asc', nulls: 'last' } }, select: { storageId: true } });
  if (sched) return sched.storageId;
  const any = await tx.backupStorage.findFirst({ where: { state: { not: 'failed' } }, orderBy: [{ state: 'asc' }, { createdAt: 'asc' }], select: { id: true } });
  if (!any) throw new AppError('UNPROCESSABLE', 'no backup storage is set up; an administrator must add one first');
  return any.id;
}

// Customers and billing keys act within the plan; admins are not limited.
async function checkQuota(tx: Tx, actor: Actor, ve: { id: string; ctid: number; plan: { backupLimit: number } | null }) {
  if (actor.role === 'admin') return;
  const limit = ve.plan?.backupLimit ?? 0;
  if (limit === 0) throw new AppError('UNPROCESSABLE', `the plan of VE ${ve.ctid} includes no backups`);
  const kept = await tx.backup.count({ where: { veId: ve.id, state: { in: LIVE } } });
  if (kept >= limit) throw new AppError('CAPACITY', `VE ${ve.ctid} already keeps ${kept} backup(s), the most its plan allows (${limit}); delete one first`, { limit, kept });
}

export interface BackupRequest {
  storageId?: string;
  kind?: BackupKind;
}

/** Queues "back up now" (or a scheduled backup) of one VE; CONFLICT while one is already queued or running. */
export async function requestBackup(prisma: PrismaClient, actor: Actor, veId: string, req: BackupRequest = {}) {
  return prisma.$transaction(async (tx) => {
    const ve = await lockVe(tx, veId, { actor, include: { plan: { select: { backupLimit: true } } } });
    if (req.kind !== 'scheduled') await checkQuota(tx, actor, ve);
    const running = await tx.backup.findFirst({ where: { veId: ve.id, state: { in: ['queued', 'running'] } }, select: { id: true } });
    if (running) throw new AppError('CONFLICT', `a backup of VE ${ve.ctid} is already queued or running`, { backupId: running.id });
    const storageId = await storageForVe(tx, ve, actor.role === 'admin' ? req.storageId : undefined);
    const backup = await tx.backup.create({
      data: { veId: ve.id, ctid: ve.ctid, hostname: ve.hostname, ownerId: ve.ownerId, planId: ve.planId, templateId: ve.templateId, storageId, nodeId: ve.nodeId, kind: req.kind ?? 'manual' },
    });
    const task = await enqueueTaskTx(tx, { type: 'backup.create', params: { backupId: backup.id }, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor), maxAttempts: backupAttempts() });
    await tx.backup.update({ where: { id: backup.id }, data: { taskId: task.id } });
    return { taskId: task.id, backupId: backup.id };
  });
}

async function restorableBackup(tx: Tx, actor: Actor, backupId: string) {
  const b = await tx.backup.findFirst({ where: { AND: [backupScope(actor), { id: backupId }] } });
  if (!b) throw new AppError('NOT_FOUND', BACKUP_NOT_FOUND);
  if (b.state !== 'completed' || !b.resticId) throw new AppError('UNPROCESSABLE', `backup ${b.id} is ${b.state}; only a completed backup can be restored`);
  return b;
}

/** Replaces the VE's disk with the backup (the VE keeps its ctid, addresses and limits). */
export async function requestRestore(prisma: PrismaClient, actor: Actor, backupId: string, opts: { start?: boolean } = {}) {
  return prisma.$transaction(async (tx) => {
    const b = await restorableBackup(tx, actor, backupId);
    if (!b.veId) throw new AppError('UNPROCESSABLE', `VE ${b.ctid} no longer exists; restore this backup to a new VE`);
    const ve = await lockVe(tx, b.veId, { actor });
    if (actor.role !== 'admin' && ve.state === 'suspended') throw new AppError('UNPROCESSABLE', `VE ${ve.ctid} is suspended`);
    // Shown at once, and every other request on the VE is refused (BUSY) until the task ends it.
    await tx.ve.update({ where: { id: ve.id }, data: { state: 'restoring' } });
    const params = { backupId: b.id, previousState: ve.state, ...(opts.start !== undefined ? { start: opts.start } : {}) };
    const task = await enqueueTaskTx(tx, { type: 'backup.restore', params, veId: ve.id, ctid: ve.ctid, nodeId: ve.nodeId, ...actorFields(actor), maxAttempts: 3 });
    return { taskId: task.id, veId: ve.id };
  });
}

export type RestoreNewInput = Omit<CreateVeInput, 'password' | 'sshKeys' | 'templateId' | 'template' | 'planId'> & { planId?: string; templateId?: string };

/** Admin: creates a new VE (own ctid, addresses, limits) and restores the backup into it right after. */
export async function requestRestoreToNewVe(prisma: PrismaClient, actor: Actor, backupId: string, input: RestoreNewInput) {
  if (actor.role !== 'admin') throw new AppError('FORBIDDEN', 'only administrators restore to a new VE');
  const b = await restorableBackup(prisma as unknown as Tx, actor, backupId);
  const planId = input.planId ?? b.planId;
  const templateId = input.templateId ?? b.templateId;
  if (!planId || !templateId) throw new AppError('BAD_INPUT', 'planId: the backup does not record its plan and template; give planId and templateId', { field: 'planId' });
  // The restored disk brings its own root password: this one only lets the create step finish.
  const password = randomBytes(18).toString('base64url');
  let restoreTaskId = '';
  const created = await requestCreateVe(prisma, actor, { ...input, planId, templateId, password, sshKeys: [] }, {
    async end(tx, r) {
      const t = await enqueueTaskTx(tx, { type: 'backup.restore', params: { backupId: b.id, newVe: true }, veId: r.ve.id, ctid: r.ve.ctid, nodeId: r.ve.nodeId, ...actorFields(actor), maxAttempts: 3 });
      restoreTaskId = t.id;
    },
  });
  return { ve: created.ve, createTaskId: created.taskId, taskId: restoreTaskId };
}

/** Removes backups (from the repository and the list); one task per storage, run one at a time per storage. */
export async function requestForget(prisma: PrismaClient, actor: Actor, backupIds: string[]) {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.backup.findMany({ where: { AND: [backupScope(actor), { id: { in: backupIds } }] } });
    if (rows.length !== new Set(backupIds).size) throw new AppError('NOT_FOUND', BACKUP_NOT_FOUND);
    const busy = rows.find((r) => r.state === 'queued' || r.state === 'running');
    if (busy) throw new AppError('CONFLICT', `backup ${busy.id} is still ${busy.state}`);
    // Map.groupBy is Node 21+.
    const byStorage = new Map<string, typeof rows>();
    for (const r of rows) byStorage.set(r.storageId, [...(byStorage.get(r.storageId) ?? []), r]);
    const taskIds: string[] = [];
    for (const [storageId, list] of byStorage) {
      const one = list.length === 1 ? list[0] : undefined;
      const t = await enqueueTaskTx(tx, { type: 'backup.forget', params: { storageId, backupIds: list.map((r) => r.id) }, veId: one?.veId ?? null, ctid: one?.ctid ?? null, queue: `storage:${storageId}`, ...actorFields(actor), maxAttempts: 5 });
      taskIds.push(t.id);
    }
    return { taskIds };
  });
}

/** Admin: a restore drill of `backupId`, or of a random recent completed backup. */
export async function requestDrill(prisma: PrismaClient, actor: Actor, backupId?: string) {
  if (actor.role !== 'admin') throw new AppError('FORBIDDEN', 'only administrators run restore drills');
  const t = await prisma.$transaction((tx) => enqueueTaskTx(tx, { type: 'backup.drill', params: backupId ? { backupId } : {}, queue: 'backup-drill', ...actorFields(actor), maxAttempts: 3 }));
  return { taskId: t.id };
}
