import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { minimalRoot, writeTar } from '@/test/fixtures/rootfs-tar';
import { createUser } from '@/server/services/auth/users';
import { createHttpServer } from './server';

let db: TestDatabase;
let base: string;
let close: () => Promise<void>;
const password = 'correct horse battery';
const work = mkdtempSync(path.join(tmpdir(), 'tc-upload-http-'));
const store = path.join(work, 'store');
const saved = process.env.VZPANEL_TEMPLATE_DIR;

beforeAll(async () => {
  process.env.VZPANEL_TEMPLATE_DIR = store;
  db = await createTestDatabase();
  const { server } = createHttpServer({ prisma: db.prisma });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  await createUser(db.prisma, { email: 'admin@example.com', password, role: 'admin' });
  await createUser(db.prisma, { email: 'cust@example.com', password, role: 'customer' });
});
afterAll(async () => {
  await close?.();
  await db?.drop();
  if (saved === undefined) delete process.env.VZPANEL_TEMPLATE_DIR;
  else process.env.VZPANEL_TEMPLATE_DIR = saved;
  rmSync(work, { recursive: true, force: true });
});

async function login(email: string) {
  const res = await fetch(`${base}/api/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie()[0].split(';')[0];
}

const post = (query: string, body: Buffer, cookie?: string) =>
  fetch(`${base}/api/templates/upload?${query}`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/octet-stream', ...(cookie ? { cookie } : {}) } });

describe('POST /api/templates/upload', () => {
  it('stores a checked rootfs as a template an admin can list, and refuses a hostile one with the reason, keeping nothing', async () => {
    const good = readFileSync(writeTar(path.join(work, 'good.tar.xz'), minimalRoot(), 'xz'));
    expect((await post('name=tiny-1', good)).status).toBe(401);
    expect((await post('name=tiny-1', good, await login('cust@example.com'))).status).toBe(403);

    const cookie = await login('admin@example.com');
    const res = await post('name=tiny-1&arch=amd64', good, cookie);
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ template: { name: 'tiny-1', os: 'tinyos', version: '1.2', arch: 'amd64' }, upload: { compression: 'xz', init: '/sbin/init' } });
    const row = await db.prisma.template.findUniqueOrThrow({ where: { name: 'tiny-1' } });
    expect(row.storagePath && existsSync(row.storagePath)).toBe(true);
    expect(row.description).toBe('Tiny OS 1.2');

    // The same name again is that template's next version.
    const again = await post('name=tiny-1', good, cookie);
    expect(again.status).toBe(201);
    expect((await again.json()).template).toMatchObject({ name: 'tiny-1', versionNumber: 2 });

    const evil = readFileSync(writeTar(path.join(work, 'evil.tar.gz'), [...minimalRoot(), { name: './usr/bin/rootsh', data: 'x', mode: 0o4755 }], 'gz'));
    const bad = await post('name=evil-1', evil, cookie);
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.message).toMatch(/usr\/bin\/rootsh is setuid/);
    expect(await db.prisma.template.findUnique({ where: { name: 'evil-1' } })).toBeNull();
    expect(readdirSync(store).filter((f) => f !== 'tiny-1')).toEqual([]);
    const audit = await db.prisma.auditLog.findMany({ where: { action: 'templates.upload', outcome: 'failure' } });
    expect(audit.map((a) => a.details)).toContainEqual(expect.objectContaining({ name: 'evil-1', reason: expect.stringMatching(/setuid/) }));
  });
});
