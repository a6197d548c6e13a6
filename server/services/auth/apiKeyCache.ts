// Per-process cache of API key rows, so an authenticated billing read does not cost a database
// round trip for its key (listenCache.ts: served only while this process hears the ApiKey trigger's
// `key:<id>` notices, migration console_revoke_notify_acct, for every revocation or delete).
import type { PrismaClient } from '@/server/db/client';
import { closeListenCaches, topicCache } from './listenCache';

/** The fields verifyApiKey needs; the secret itself is never cached, only its sha256 (as stored). */
export interface CachedKey {
  id: string;
  name: string;
  prefix: string;
  keyHash: string;
  scopes: string[];
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

// Defence in depth: even while listening, an entry is re-read at least this often (a change no trigger announces).
const MAX_AGE_MS = 30_000;

/**
 * The process's key cache (by key prefix) for the database `prisma` talks to; undefined for a
 * client whose URL is unknown.
 */
export function apiKeyCache(prisma: PrismaClient) {
  const c = topicCache<CachedKey>(prisma, 'apiKey', MAX_AGE_MS);
  if (!c) return undefined;
  return {
    get listening() {
      return c.listening;
    },
    get: (prefix: string) => c.get(prefix),
    /** Remembers a row read at `readAt` (taken before the read, so a revocation notified during it wins). */
    put: (key: CachedKey, readAt: number, listeningAtRead: boolean) => c.put(key.prefix, key, [`key:${key.id}`], readAt, listeningAtRead),
    dropId: (id: string) => c.drop(`key:${id}`),
  };
}

/** Closes every auth cache's LISTEN connection, API keys' and sessions' (shutdown, end of a test file). */
export const closeApiKeyCaches = closeListenCaches;
