// Single-use download links of a backup's tree: only the token's sha256 is stored; the first GET burns it.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { newToken, sha256Hex } from '@/server/services/auth/tokens';
import type { Actor } from '@/server/services/ves/scope';
import { getBackup } from './list';

/** A download link must be opened within this time, and works once. */
export const DOWNLOAD_TTL_MS = 10 * 60_000;
export const DOWNLOAD_PATH = '/api/backups/download/';

/** Issues a link for a completed backup the actor may see; the URL is returned once. */
export async function createDownloadLink(prisma: PrismaClient, actor: Actor, backupId: string) {
  const b = await getBackup(prisma, actor, backupId);
  if (b.state !== 'completed' || !b.resticId) throw new AppError('UNPROCESSABLE', `backup ${b.id} is ${b.state}; only a completed backup can be downloaded`);
  const token = newToken();
  const expiresAt = new Date(Date.now() + DOWNLOAD_TTL_MS);
  await prisma.backupDownload.create({ data: { tokenHash: sha256Hex(token), backupId: b.id, userId: actor.userId ?? null, apiKeyId: actor.apiKeyId ?? null, expiresAt } });
  return { url: `${DOWNLOAD_PATH}${token}`, expiresAt: expiresAt.toISOString() };
}

/**
 * Burns a download token in one UPDATE (unused and unexpired -> used), so it serves at most one
 * download even when presented twice at once. Returns the backup id it grants, or null.
 */
export async function claimDownload(prisma: PrismaClient, token: string): Promise<string | null> {
  if (!token || token.length > 200) return null;
  const rows = await prisma.$queryRaw<Array<{ backupId: string }>>`
    UPDATE "BackupDownload" SET "usedAt" = now()
     WHERE "tokenHash" = ${sha256Hex(token)} AND "usedAt" IS NULL AND "expiresAt" > now()
     RETURNING "backupId"`;
  return rows[0]?.backupId ?? null;
}
