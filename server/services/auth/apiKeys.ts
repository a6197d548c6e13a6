import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { apiKeyCache, type CachedKey } from './apiKeyCache';
import { randomBase32, sameDigest, sha256Hex } from './tokens';

/** Scopes a billing key can hold; procedures name the one they need. */
export const API_SCOPES = ['catalog:read', 'nodes:read', 'ves:read', 'ves:write', 'customers:read', 'customers:write', 'webhooks:read', 'webhooks:write', 'backups:read', 'backups:write'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const TOKEN_RE = /^vzk_([a-z2-7]{8})_([a-z2-7]{48})$/;
// lastUsedAt is bookkeeping, not security: write it at most once a minute per key.
const TOUCH_EVERY_MS = 60_000;

export interface VerifiedApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
}

const publicFields = { id: true, name: true, prefix: true, scopes: true, createdAt: true, lastUsedAt: true, expiresAt: true, revokedAt: true, createdById: true } as const;

/**
 * Creates a key `vzk_<prefix>_<secret>`. The full token is returned once and never stored:
 * the row keeps the prefix (to find it) and the sha256 of the secret.
 */
export async function createApiKey(
  prisma: PrismaClient,
  input: { name: string; scopes: string[]; createdById?: string; expiresAt?: Date },
) {
  const unknown = input.scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new AppError('BAD_INPUT', `Unknown scope ${unknown.join(', ')}`, { field: 'scopes' });
  const prefix = randomBase32(5);
  const secret = randomBase32(30);
  const row = await prisma.apiKey.create({
    data: { name: input.name, prefix, keyHash: sha256Hex(secret), scopes: [...new Set(input.scopes)], createdById: input.createdById, expiresAt: input.expiresAt },
    select: publicFields,
  });
  return { ...row, token: `vzk_${prefix}_${secret}` };
}

/**
 * Resolves a presented token to its key, or null when it is malformed, unknown, revoked,
 * expired or does not match (constant-time). Updates lastUsedAt.
 */
export async function verifyApiKey(prisma: PrismaClient, token: string): Promise<VerifiedApiKey | null> {
  const m = TOKEN_RE.exec(token.trim());
  if (!m) return null;
  const [, prefix, secret] = m;
  const row = await keyRow(prisma, prefix);
  if (!row || !sameDigest(row.keyHash, sha256Hex(secret))) return null;
  if (row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    // Set on the cached row first, so concurrent requests do not all write it.
    row.lastUsedAt = new Date();
    await prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: row.lastUsedAt } });
  }
  return { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes };
}

const keyFields = { id: true, name: true, prefix: true, keyHash: true, scopes: true, revokedAt: true, expiresAt: true, lastUsedAt: true } as const;

/** The key row by prefix: from this process's cache while it hears revocations (apiKeyCache.ts), else from the database. */
async function keyRow(prisma: PrismaClient, prefix: string): Promise<CachedKey | null> {
  const cache = apiKeyCache(prisma);
  const hit = cache?.get(prefix);
  if (hit) return hit;
  const readAt = Date.now();
  const listening = !!cache?.listening;
  const row = await prisma.apiKey.findUnique({ where: { prefix }, select: keyFields });
  if (row) cache?.put(row, readAt, listening);
  return row;
}

export function listApiKeys(prisma: PrismaClient) {
  return prisma.apiKey.findMany({ select: publicFields, orderBy: { createdAt: 'desc' } });
}

/** Revokes a key at once; further requests with it get 401. Revoking twice is a no-op. */
export async function revokeApiKey(prisma: PrismaClient, id: string) {
  const row = await prisma.apiKey.findUnique({ where: { id } });
  if (!row) throw new AppError('NOT_FOUND', 'No such API key');
  if (row.revokedAt) return prisma.apiKey.findUniqueOrThrow({ where: { id }, select: publicFields });
  const out = await prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() }, select: publicFields });
  // This process forgets it at once; the others hear the ApiKey trigger's notice (apiKeyCache.ts).
  apiKeyCache(prisma)?.dropId(id);
  return out;
}
