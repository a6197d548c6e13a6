// Concurrent identical billing reads share one query, without ever answering from before the request.
import type { PrismaClient } from '@/server/db/client';

const waiting = new WeakMap<PrismaClient, Map<string, Promise<unknown>>>();

/**
 * Runs `read` once for every caller with the same `key` that arrives in the same event-loop turn:
 * the query starts after all of them arrived (setImmediate), so each answer is at least as new as
 * its request (a billing system's own create is always in its next read). A caller never joins a
 * query that is already running: that one may have started before a write the caller expects.
 */
export function sharedRead<T>(prisma: PrismaClient, key: string, read: () => Promise<T>): Promise<T> {
  let byKey = waiting.get(prisma);
  if (!byKey) waiting.set(prisma, (byKey = new Map()));
  const joined = byKey.get(key);
  if (joined) return joined as Promise<T>;
  const map = byKey;
  const p = new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      // From here on the query may be running: later callers start the next batch.
      map.delete(key);
      read().then(resolve, reject);
    });
  });
  map.set(key, p);
  return p;
}
