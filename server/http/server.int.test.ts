import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { createHttpServer } from './server';
import { createApiKey, revokeApiKey } from '@/server/services/auth/apiKeys';
import { createUser } from '@/server/services/auth/users';

let db: TestDatabase;
let base: string;
let close: () => Promise<void>;
const password = 'correct horse battery';

beforeAll(async () => {
  db = await createTestDatabase();
  const { server, wss } = createHttpServer({ prisma: db.prisma });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    for (const c of wss.clients) c.terminate();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  await db.prisma.plan.create({ data: { name: 'vps-1g', ram: 1024, diskspace: 10240, diskinodes: 200000 } });
  await db.prisma.template.create({ data: { name: 'busybox-1.36-x86_64', os: 'busybox', version: '1.36', arch: 'x86_64', sizeBytes: 1n, sha256: 'x' } });
  await createUser(db.prisma, { email: 'admin@example.com', password, role: 'admin' });
});
afterAll(async () => {
  await close?.();
  await db?.drop();
});

const get = (path: string, key?: string) => fetch(`${base}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {}, redirect: 'manual' });

async function login(email = 'admin@example.com') {
  const res = await fetch(`${base}/api/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie()[0].split(';')[0];
}

describe('billing REST API keys', () => {
  it('answers 401 without a key, 401 with a revoked or forged key, 403 without the scope, 200 with it', async () => {
    const good = await createApiKey(db.prisma, { name: 'whmcs', scopes: ['catalog:read', 'ves:read'] });
    const narrow = await createApiKey(db.prisma, { name: 'narrow', scopes: ['ves:read'] });
    const revoked = await createApiKey(db.prisma, { name: 'old', scopes: ['catalog:read'] });
    await revokeApiKey(db.prisma, revoked.id);

    const none = await get('/api/v1/catalog');
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'UNAUTHORIZED', data: { appCode: 'UNAUTHENTICATED' } });
    expect((await get('/api/v1/catalog', revoked.token)).status).toBe(401);
    expect((await get('/api/v1/catalog', good.token.slice(0, -1) + (good.token.endsWith('a') ? 'b' : 'a'))).status).toBe(401);
    const forbidden = await get('/api/v1/catalog', narrow.token);
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).message).toContain('catalog:read');

    const ok = await get('/api/v1/catalog', good.token);
    expect(ok.status).toBe(200);
    const body = await ok.json();
    expect(body.plans).toEqual([expect.objectContaining({ name: 'vps-1g', ram: 1024, templates: [] })]);
    expect(body.templates).toEqual([expect.objectContaining({ name: 'busybox-1.36-x86_64' })]);
    expect(body.nodeGroups).toEqual([]);
    // Use is recorded on the key.
    expect((await db.prisma.apiKey.findUniqueOrThrow({ where: { id: good.id } })).lastUsedAt).not.toBeNull();

    const ves = await get('/api/v1/ves', narrow.token);
    expect(ves.status).toBe(200);
    expect(await ves.json()).toEqual([]);
    expect((await get('/api/v1/nodes', good.token)).status).toBe(403);
  });

  it('answers 400 naming the field for bad input', async () => {
    const k = await createApiKey(db.prisma, { name: 'reader', scopes: ['ves:read'] });
    const res = await get('/api/v1/ves?limit=lots', k.token);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'BAD_REQUEST', data: { appCode: 'BAD_INPUT', field: 'limit' } });
  });

  it('publishes an OpenAPI 3.1 document listing the billing procedures with bearer auth', async () => {
    const res = await get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/backups/{id}/restore', '/catalog', '/customers/{externalId}', '/customers/{externalId}/login-token', '/nodes', '/tasks/{id}', '/usage', '/ves', '/ves/status', '/ves/{id}',
      '/ves/{id}/addresses', '/ves/{id}/addresses/{address}', '/ves/{id}/backups',
      '/ves/{id}/console', '/ves/{id}/hostname', '/ves/{id}/password', '/ves/{id}/plan', '/ves/{id}/power', '/ves/{id}/reinstall', '/ves/{id}/suspend', '/ves/{id}/unsuspend',
      '/ves/{id}/usage', '/ves/{id}/usage/anchor', '/webhooks', '/webhooks/{id}', '/webhooks/{id}/rotate-secret',
    ]);
    expect(doc.paths['/catalog'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('tRPC over HTTP', () => {
  it('answers 400 with the wrong field for bad input', async () => {
    const res = await fetch(`${base}/api/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: '', password: 'x' }) });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.data).toMatchObject({ appCode: 'BAD_INPUT', field: 'email', httpStatus: 400 });
    expect(body.error.data.stack).toBeUndefined();
  });

  it('logs in with a cookie session, serves auth.me and admin procedures, and logs out', async () => {
    const bad = await fetch(`${base}/api/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.com', password: 'nope' }) });
    expect(bad.status).toBe(401);
    const cookie = await login();
    expect(cookie).toMatch(/^vz_session=/);
    const me = await (await fetch(`${base}/api/trpc/auth.me`, { headers: { cookie } })).json();
    expect(me.result.data).toMatchObject({ email: 'admin@example.com', role: 'admin' });
    const nodes = await fetch(`${base}/api/trpc/nodes.list`, { headers: { cookie } });
    expect(nodes.status).toBe(200);
    expect((await fetch(`${base}/api/trpc/nodes.list`)).status).toBe(401);
    // A cookie-bearing POST from another site is refused (CSRF).
    const csrf = await fetch(`${base}/api/trpc/auth.logout`, { method: 'POST', headers: { cookie, origin: 'http://evil.example', 'content-type': 'application/json' } });
    expect(csrf.status).toBe(403);
    const out = await fetch(`${base}/api/trpc/auth.logout`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' } });
    expect(out.status).toBe(200);
    expect((await fetch(`${base}/api/trpc/nodes.list`, { headers: { cookie } })).status).toBe(401);
  });
});

describe('health, page guards, WebSocket', () => {
  it('reports the database and node states', async () => {
    await db.prisma.node.create({ data: { name: 'n1', address: '127.0.0.2', state: 'offline' } });
    const res = await get('/api/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ db: 'ok', nodes: [{ name: 'n1', state: 'offline', lastSeenAt: null }] });
  });

  it('redirects anonymous users from /admin and /portal to the login page, and customers away from /admin', async () => {
    const a = await get('/admin/nodes?x=1');
    expect(a.status).toBe(303);
    expect(a.headers.get('location')).toBe('/login?next=%2Fadmin%2Fnodes%3Fx%3D1');
    expect((await get('/portal')).headers.get('location')).toBe('/login?next=%2Fportal');
    await createUser(db.prisma, { email: 'cust@example.com', password, role: 'customer' });
    const cookie = await login('cust@example.com');
    const c = await fetch(`${base}/admin`, { headers: { cookie }, redirect: 'manual' });
    expect(c.status).toBe(303);
    expect(c.headers.get('location')).toBe('/portal');
    // Allowed through to Next (absent here -> 404).
    expect((await fetch(`${base}/portal`, { headers: { cookie }, redirect: 'manual' })).status).toBe(404);
  });

  it('refuses a WebSocket without a session before the handshake and greets a signed-in user', async () => {
    const wsUrl = base.replace('http', 'ws') + '/ws';
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
    const cookie = await login();
    const hello = await new Promise<{ type: string; user: { email: string } }>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { cookie } });
      ws.on('message', (m) => {
        resolve(JSON.parse(String(m)));
        ws.close();
      });
      ws.on('error', reject);
    });
    expect(hello).toMatchObject({ type: 'hello', user: { email: 'admin@example.com' } });
  });
});
