// The per-process session cache: a signed-in page costs no query to learn who asks, yet a sign-out,
// a disable or a role or profile change made anywhere (another panel process, a hand-run UPDATE)
// reaches this process within moments, and without its LISTEN connection nothing is served from memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '@/server/db/client';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { closeApiKeyCaches } from './apiKeyCache';
import { LISTENER_APP_NAME, topicCache } from './listenCache';
import { createSession, revokeSessionToken, validateSession } from './sessions';
import { createUser } from './users';
import { sha256Hex } from './tokens';

let db: TestDatabase;
// Writes as another panel process would (a second client: the cache is per database URL, so never through it).
let other: PrismaClient;
let n = 0;

const until = async (what: string, ok: () => Promise<boolean>, ms = 5000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) if (await ok()) return;
  throw new Error(`timed out waiting for ${what}`);
};
const cache = () => topicCache<unknown>(db.prisma, 'session', 30_000);

// A signed-in user whose session this process now remembers.
async function rememberedSession(role: 'admin' | 'customer' = 'customer') {
  const user = await createUser(db.prisma, { email: `sc-${process.pid}-${++n}@example.test`, password: 'correct horse battery', role });
  const s = await createSession(db.prisma, user.id);
  await until('the cache to listen', async () => !!cache()?.listening);
  expect((await validateSession(db.prisma, s.token))?.user.id).toBe(user.id);
  expect(cache()?.get(sha256Hex(s.token))).toBeDefined();
  return { user, token: s.token, id: s.id };
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

describe('session cache', () => {
  it('answers a remembered session from memory, with the user as stored', async () => {
    const { user, token, id } = await rememberedSession('admin');
    // A change no trigger announces (only this code moves a session's expiry, and only forward): memory answers.
    await other.$executeRaw`UPDATE "Session" SET "expiresAt" = now() - interval '1 hour' WHERE id = ${id}`;
    const v = await validateSession(db.prisma, token);
    expect(v?.user).toMatchObject({ id: user.id, role: 'admin', adminRole: 'admin', totpEnabled: false });
    expect(v?.renewed).toBe(false);
  });

  it('refuses a session ended by another panel process within moments', async () => {
    const s = await rememberedSession();
    await other.session.delete({ where: { id: s.id } });
    await until('the sign-out to reach this process', async () => (await validateSession(db.prisma, s.token)) === null, 2000);
  });

  it('refuses a session whose user was disabled by a hand-run UPDATE', async () => {
    const s = await rememberedSession();
    await other.$executeRaw`UPDATE "User" SET disabled = true WHERE id = ${s.user.id}`;
    await until('the trigger notice', async () => (await validateSession(db.prisma, s.token)) === null, 2000);
  });

  it('shows a staff role, name or 2FA change made elsewhere within moments', async () => {
    const s = await rememberedSession('admin');
    await other.$executeRaw`UPDATE "User" SET "adminRole" = 'support', name = 'Renamed', "totpEnabled" = true WHERE id = ${s.user.id}`;
    await until('the change to reach this process', async () => {
      const v = await validateSession(db.prisma, s.token);
      return v?.user.adminRole === 'support' && v.user.name === 'Renamed' && v.user.totpEnabled;
    }, 2000);
  });

  it('refuses a session signed out in this process on the very next request', async () => {
    const s = await rememberedSession();
    await revokeSessionToken(db.prisma, s.token);
    expect(await validateSession(db.prisma, s.token)).toBeNull();
  });

  it('re-reads a remembered session past its expiry instead of trusting memory', async () => {
    const s = await rememberedSession();
    // Another process slid it forward; ours remembers an expiry that has passed.
    const entry = cache()!.get(sha256Hex(s.token)) as { session: { expiresAt: Date } };
    entry.session.expiresAt = new Date(Date.now() - 1000);
    expect((await validateSession(db.prisma, s.token))?.session.id).toBe(s.id);
    expect(await other.session.count({ where: { id: s.id } })).toBe(1);
  });

  it('serves nothing from memory once its LISTEN connection is gone, and comes back', async () => {
    const s = await rememberedSession();
    await other.$queryRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${LISTENER_APP_NAME} AND datname = current_database()`;
    await until('the cache to notice', async () => !cache()?.listening);
    expect(cache()?.get(sha256Hex(s.token))).toBeUndefined();
    // A sign-out while it is deaf is still seen: lookups go to the database.
    await other.session.delete({ where: { id: s.id } });
    expect(await validateSession(db.prisma, s.token)).toBeNull();
    await until('the cache to listen again', async () => !!cache()?.listening);
    await rememberedSession();
  });
});
