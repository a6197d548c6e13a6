// Password guessing is limited per address+account, per address and per account, in Postgres: two
// panel processes (this one and a child) share the counts; clients are distinct loopback addresses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { createHttpServer } from '@/server/http/server';
import { createUser } from '@/server/services/auth/users';
import { requestFrom, startPanelProcess, type PanelProcess } from '@/test/fixtures/panel-process';

let db: TestDatabase;
let other: PanelProcess | undefined;
let bases: string[] = [];
let closeLocal: () => Promise<void> = async () => {};
const password = 'correct horse battery';

beforeAll(async () => {
  db = await createTestDatabase();
  const { server } = createHttpServer({ prisma: db.prisma });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closeLocal = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  other = await startPanelProcess(db.url);
  bases = [`http://127.0.0.1:${(server.address() as AddressInfo).port}`, other.base];
  await createUser(db.prisma, { email: 'root@example.com', password, role: 'admin' });
  await createUser(db.prisma, { email: 'fay@example.com', password, role: 'customer' });
}, 60_000);
afterAll(async () => {
  await closeLocal();
  await other?.stop();
  await db?.drop();
});

// Attempt i goes to panel process i % 2, so only a shared count can stop the guessing.
async function login(i: number, from: string, email: string, pw: string): Promise<number> {
  return (await requestFrom(from, `${bases[i % 2]}/api/trpc/auth.login`, { body: { email, password: pw } })).status;
}

describe('sign-in rate limits', () => {
  it('locks the guessing address out of the admin account, across panel processes, while the admin still signs in from elsewhere', async () => {
    const attacker = '127.0.0.11';
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) seen.push(await login(i, attacker, 'root@example.com', `guess ${i}`));
    expect(seen.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(seen.slice(10)).toEqual([429, 429]);
    // Even the right password is refused from the locked address …
    expect(await login(0, attacker, 'root@example.com', password)).toBe(429);
    // … but not from the admin's own.
    expect(await login(1, '127.0.0.12', 'root@example.com', password)).toBe(200);
    expect(await db.prisma.auditLog.count({ where: { action: 'auth.login.locked', targetId: 'root@example.com' } })).toBe(1);
  });

  it('slows one address spraying many accounts: after 30 misses it is refused for every account', async () => {
    const sprayer = '127.0.0.13';
    const seen: number[] = [];
    for (let i = 0; i < 30; i++) seen.push(await login(i, sprayer, `user${i}@example.com`, 'Winter2026!'));
    expect(seen).toEqual(Array(30).fill(401));
    expect(await login(30, sprayer, 'fay@example.com', 'Winter2026!')).toBe(429);
    expect(await login(31, sprayer, 'fay@example.com', password)).toBe(429);
    expect(await login(32, '127.0.0.14', 'fay@example.com', password)).toBe(200);
  });

  it('gives a right password its attempt back, so a busy shared address is not locked by its own users', async () => {
    const office = '127.0.0.15';
    for (let i = 0; i < 32; i++) expect(await login(i, office, 'fay@example.com', password)).toBe(200);
  });
});
