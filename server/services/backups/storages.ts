// Backup storages as admins see them (never a secret), and removal of an unused one.
import type { BackupStorage, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';

/** A storage without its sealed password and key. */
export function storageOut(s: BackupStorage & { _count?: { backups: number } }) {
  return {
    id: s.id, name: s.name, kind: s.kind, host: s.host, port: s.port, user: s.user, path: s.path,
    hostKeyFingerprint: s.hostKeyFingerprint, sshPublicKey: s.sshPublicKey, state: s.state,
    lastCheckedAt: s.lastCheckedAt?.toISOString() ?? null, lastCheckError: s.lastCheckError, lastCheck: (s.lastCheck ?? {}) as Record<string, unknown>,
    backups: s._count?.backups ?? 0, createdAt: s.createdAt.toISOString(),
  };
}

export const listStorages = (prisma: PrismaClient) =>
  prisma.backupStorage.findMany({ orderBy: { name: 'asc' }, include: { _count: { select: { backups: true } } } });

/** Deletes a storage that holds no backups and no schedule uses; CONFLICT otherwise (forget them first). */
export async function deleteStorage(prisma: PrismaClient, id: string) {
  return prisma.$transaction(async (tx) => {
    const s = await tx.backupStorage.findUnique({ where: { id }, include: { _count: { select: { backups: true, schedules: true } } } });
    if (!s) throw new AppError('NOT_FOUND', 'backup storage not found');
    if (s._count.backups || s._count.schedules) throw new AppError('CONFLICT', `storage ${s.name} still holds ${s._count.backups} backup(s) and ${s._count.schedules} schedule(s); remove them first`);
    await tx.backupStorage.delete({ where: { id } });
    return { id };
  });
}
