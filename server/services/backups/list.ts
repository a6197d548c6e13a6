// Reads of backups and snapshots, owner-scoped, as the API shows them (no storage secrets, ever).
import type { Backup, Prisma, PrismaClient, VeSnapshot } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { ownerScope, scoped, VE_NOT_FOUND, type Actor } from '@/server/services/ves/scope';
import { BACKUP_NOT_FOUND, backupScope, snapshotScope } from './scope';

export interface ListBackupsInput {
  veId?: string;
  storageId?: string;
  state?: Backup['state'];
  page?: number;
  pageSize?: number;
}

const withStorage = { storage: { select: { id: true, name: true } } } as const;
export type BackupRow = Prisma.BackupGetPayload<{ include: typeof withStorage }>;

export async function listBackups(prisma: PrismaClient, actor: Actor, f: ListBackupsInput) {
  const where: Prisma.BackupWhereInput = { AND: [backupScope(actor), { ...(f.veId ? { veId: f.veId } : {}), ...(f.storageId ? { storageId: f.storageId } : {}), ...(f.state ? { state: f.state } : {}) }] };
  const page = f.page ?? 1;
  const pageSize = f.pageSize ?? 50;
  const [total, items] = await Promise.all([
    prisma.backup.count({ where }),
    prisma.backup.findMany({ where, include: withStorage, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: (page - 1) * pageSize, take: pageSize }),
  ]);
  return { total, page, pageSize, items };
}

export async function getBackup(prisma: PrismaClient, actor: Actor, id: string): Promise<BackupRow> {
  const b = await prisma.backup.findFirst({ where: { AND: [backupScope(actor), { id }] }, include: withStorage });
  if (!b) throw new AppError('NOT_FOUND', BACKUP_NOT_FOUND);
  return b;
}

/** A VE's snapshots; NOT_FOUND for a VE outside the actor's scope (like a missing one). */
export async function listSnapshots(prisma: PrismaClient, actor: Actor, veId: string): Promise<VeSnapshot[]> {
  const scope = actor.role === 'customer' ? ownerScope({ id: actor.userId ?? '' }) : undefined;
  if (!(await prisma.ve.findFirst({ where: scoped({ id: veId }, scope), select: { id: true } }))) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  return prisma.veSnapshot.findMany({ where: { AND: [snapshotScope(actor), { veId }] }, orderBy: { createdAt: 'asc' } });
}

const n = (v: bigint | null) => (v == null ? null : Number(v));

/** A backup for JSON (dates as ISO strings, byte counts as numbers). */
export function backupOut(b: BackupRow) {
  return {
    id: b.id, veId: b.veId, ctid: b.ctid, hostname: b.hostname, storage: b.storage, kind: b.kind, state: b.state,
    resticId: b.resticId, sizeBytes: n(b.sizeBytes), addedBytes: n(b.addedBytes), fileCount: b.fileCount, manifestDigest: b.manifestDigest,
    pauseMs: b.pauseMs, durationMs: b.durationMs, taskId: b.taskId, error: b.error, errorCode: b.errorCode,
    verifiedAt: b.verifiedAt?.toISOString() ?? null, verifyError: b.verifyError,
    createdAt: b.createdAt.toISOString(), finishedAt: b.finishedAt?.toISOString() ?? null,
  };
}

export function snapshotOut(s: VeSnapshot) {
  return { id: s.id, veId: s.veId, name: s.name, state: s.state, sizeBytes: n(s.sizeBytes), error: s.error, createdAt: s.createdAt.toISOString() };
}
