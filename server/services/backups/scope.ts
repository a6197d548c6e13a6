// The owner scope of backups and snapshots: a customer sees those of the VEs they own now, nothing else.
import type { Prisma } from '@/server/db/client';
import { ownerScope, type Actor } from '@/server/services/ves/scope';

/** One message for a backup that is missing or not yours. */
export const BACKUP_NOT_FOUND = 'backup not found';
export const SNAPSHOT_NOT_FOUND = 'snapshot not found';

/** Backups `actor` may see: customers only those of their own VEs (a destroyed VE's backups are admin-only). */
export function backupScope(actor: Actor): Prisma.BackupWhereInput {
  return actor.role === 'customer' ? { ve: ownerScope({ id: actor.userId ?? '' }) } : {};
}

export function snapshotScope(actor: Actor): Prisma.VeSnapshotWhereInput {
  return actor.role === 'customer' ? { ve: ownerScope({ id: actor.userId ?? '' }) } : {};
}
