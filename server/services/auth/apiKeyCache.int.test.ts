// The per-process API key cache: it answers from memory, yet a revocation made anywhere (another
// panel process, a hand-run UPDATE) refuses the key at once, and without its LISTEN connection it
// never serves a remembered key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '@/server/db/client';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { apiKeyCache, closeApiKeyCaches } from './apiKeyCache';
import { createApiKey, revokeApiKey, verifyApiKey } from './apiKeys';

let db: TestDatabase;
// Writes as another panel process would (a second client; the cache is per database URL, so never through it).
let other: PrismaClient;

const until = async (what: string, ok: () => Promise<boolean>, ms = 5000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) if (await ok()) return;
  throw new Error(`timed out waiting for ${what}`);
};
const prefixOf = (token: string) => token.split('_')[1];

async function cachedKey(name: string) {
  const k = await createApiKey(db.prisma, { name, scopes: ['ves:read'] });
  await until('the cache to listen', async () => !!apiKeyCache(db.prisma)?.listening);
  expect(await verifyApiKey(db.prisma, k.token)).toMatchObject({ id: k.id, scopes: ['ves:read'] });
  // The row is now remembered: the next check costs no query.
  expect(apiKeyCache(db.prisma)?.get(prefixOf(k.token))?.id).toBe(k.id);
  return k;
}

beforeAll(async () => {
  db = await createTestDatabase();
  other = createPrisma(db.url, { max: 2 });
});

afterAll(async () => {
  await closeApiKeyCaches();
  await other?.$disconnect();
  await db?.drop();
});

describe('API key cache', () => {
  it('still checks the secret of a remembered key', async () => {
    const k = await cachedKey('secret-check');
    const wrong = k.token.slice(0, -4) + (k.token.endsWith('aaaa') ? 'bbbb' : 'aaaa');
    expect(await verifyApiKey(db.prisma, wrong)).toBeNull();
  });

  it('refuses a key revoked by another panel process within moments', async () => {
    const k = await cachedKey('other-process');
    // What another process's revokeApiKey writes (its own cache is not ours: only the trigger's notice can tell us).
    await other.apiKey.update({ where: { id: k.id }, data: { revokedAt: new Date() } });
    await until('the revocation to reach this process', async () => (await verifyApiKey(db.prisma, k.token)) === null, 2000);
  });

  it('refuses a key revoked by a hand-run UPDATE (the trigger announces it)', async () => {
    const k = await cachedKey('by-sql');
    await other.$executeRaw`UPDATE "ApiKey" SET "revokedAt" = now() WHERE id = ${k.id}`;
    await until('the trigger notice', async () => (await verifyApiKey(db.prisma, k.token)) === null, 2000);
  });

  it('refuses a key revoked in this process on the very next request', async () => {
    const k = await cachedKey('same-process');
    await revokeApiKey(db.prisma, k.id);
    expect(await verifyApiKey(db.prisma, k.token)).toBeNull();
  });

  it('serves nothing from memory once its LISTEN connection is gone, and comes back', async () => {
    const k = await cachedKey('listener-killed');
    await other.$queryRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vzpanel-auth-cache' AND datname = current_database()`;
    await until('the cache to notice', async () => !apiKeyCache(db.prisma)?.listening);
    expect(apiKeyCache(db.prisma)?.get(prefixOf(k.token))).toBeUndefined();
    // A revocation while it is deaf is still seen: lookups go to the database.
    await other.$executeRaw`UPDATE "ApiKey" SET "revokedAt" = now() WHERE id = ${k.id}`;
    expect(await verifyApiKey(db.prisma, k.token)).toBeNull();
    await until('the cache to listen again', async () => !!apiKeyCache(db.prisma)?.listening);
    await cachedKey('after-reconnect');
  });
});
