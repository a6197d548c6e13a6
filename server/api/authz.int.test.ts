// Authorization matrix generated from the router itself: every tRPC procedure (by its meta.auth,
// scopes and type) and every REST route of the OpenAPI document, against anonymous, customer A,
// customer B, the staff roles owner, admin and support (support may run queries, never mutations;
// billing staff cannot hold a session at all), a billing key without the scope, a revoked key and
// a key with every scope; and the
// console WebSocket against the same actors. A procedure
// without a declared rule, or a customer procedure taking a VE/task id without an ownership probe
// below, fails the test.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TRPCError } from '@trpc/server';
import { runMigrations } from 'graphile-worker';
import type { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { appRouter, createCaller } from './root';
import { createInnerContext } from './context';
import { openApiDocument, REST_BASE } from './openapi';
import type { AuthKind, Meta } from './trpc';
import { toTRPCError } from './errors';
import { isAppError } from '@/server/errors';
import { createUser } from '@/server/services/auth/users';
import { createSession, SESSION_COOKIE } from '@/server/services/auth/sessions';
import { API_SCOPES, createApiKey, revokeApiKey } from '@/server/services/auth/apiKeys';
import { createPlan } from '@/server/services/plans';
import { createHttpServer } from '@/server/http/server';
import { closeTaskEvents } from '@/server/operations/tasks/events';

type Proc = { _def: { type: 'query' | 'mutation' | 'subscription'; meta?: Meta; inputs: z.ZodType[] } };
const PROCEDURES = Object.entries(appRouter._def.procedures as unknown as Record<string, Proc>).sort(([a], [b]) => a.localeCompare(b));
const KINDS: AuthKind[] = ['public', 'authed', 'customer', 'admin', 'owner', 'apiKey'];

type SessionActor = 'customerA' | 'customerB' | 'owner' | 'admin' | 'support';
type Actor = 'anonymous' | SessionActor | 'keyWithoutScope' | 'revokedKey' | 'fullKey';
const ACTORS: Actor[] = ['anonymous', 'customerA', 'customerB', 'owner', 'admin', 'support', 'keyWithoutScope', 'revokedKey', 'fullKey'];
const STAFF: Actor[] = ['owner', 'admin', 'support'];

let db: TestDatabase;
const users: Record<SessionActor, string> = { customerA: '', customerB: '', owner: '', admin: '', support: '' };
let billingUser = '';
const keys: Record<'keyWithoutScope' | 'revokedKey' | 'fullKey', string> = { keyWithoutScope: '', revokedKey: '', fullKey: '' };
let veA: { id: string; ctid: number };
let taskA: string;
let keyA: string;
let templateId: string;
// A backup and a snapshot of A's VE (issue 12): the portal's backup procedures name them by id.
let backupA: string;
let snapA: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  // tasks.watch listens for task events on DATABASE_URL.
  process.env.DATABASE_URL = db.url;
  const pw = 'correct horse battery';
  users.customerA = (await createUser(db.prisma, { email: `${uniq('a')}@example.test`, password: pw })).id;
  users.customerB = (await createUser(db.prisma, { email: `${uniq('b')}@example.test`, password: pw })).id;
  users.admin = (await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password: pw, role: 'admin' })).id;
  users.owner = (await createUser(db.prisma, { email: `${uniq('owner')}@example.test`, password: pw, role: 'admin', adminRole: 'owner' })).id;
  users.support = (await createUser(db.prisma, { email: `${uniq('support')}@example.test`, password: pw, role: 'admin', adminRole: 'support' })).id;
  billingUser = (await createUser(db.prisma, { email: `${uniq('billing')}@example.test`, password: pw, role: 'admin', adminRole: 'billing' })).id;
  keys.keyWithoutScope = (await createApiKey(db.prisma, { name: 'no-scope', scopes: [] })).token;
  const revoked = await createApiKey(db.prisma, { name: 'revoked', scopes: [...API_SCOPES] });
  await revokeApiKey(db.prisma, revoked.id);
  keys.revokedKey = revoked.token;
  keys.fullKey = (await createApiKey(db.prisma, { name: 'full', scopes: [...API_SCOPES] })).token;
  const node = await seedNode(db.prisma);
  const template = await seedTemplate(db.prisma);
  templateId = template.id;
  const plan = await createPlan(db.prisma, { name: uniq('plan'), ram: 256, diskspace: 1024 });
  const ve = await db.prisma.ve.create({
    data: { ctid: 4242, hostname: 'a.example.test', nodeId: node.id, planId: plan.id, templateId: template.id, ownerId: users.customerA, state: 'running', limits: { ram: 256, diskspace: 1024 } },
  });
  veA = { id: ve.id, ctid: ve.ctid };
  keyA = (await db.prisma.veSshKey.create({ data: { veId: ve.id, publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA a', fingerprint: 'SHA256:probe' } })).id;
  taskA = (await db.prisma.task.create({ data: { type: 've.start', veId: ve.id, ctid: ve.ctid, nodeId: node.id, userId: users.customerA } })).id;
  const storage = await db.prisma.backupStorage.create({ data: { name: uniq('store'), kind: 'local', path: '/tmp/bkp-authz-repo', passwordSealed: 'v1.x.y.z' } });
  backupA = (await db.prisma.backup.create({ data: { veId: ve.id, ctid: ve.ctid, hostname: ve.hostname, storageId: storage.id, state: 'completed', resticId: 'ab'.repeat(32), manifestDigest: 'cd'.repeat(32) } })).id;
  snapA = (await db.prisma.veSnapshot.create({ data: { veId: ve.id, agentId: randomUUID(), state: 'ready' } })).id;
}, 60_000);
afterAll(async () => {
  await closeTaskEvents();
  await db?.drop();
});

// A fresh session per call: a procedure like auth.logout must not spoil the next call.
async function callerFor(actor: Actor) {
  if (actor === 'anonymous') return createCaller(await createInnerContext(db.prisma, {}));
  if (actor in keys) return createCaller(await createInnerContext(db.prisma, { bearer: keys[actor as keyof typeof keys] }));
  const { token } = await createSession(db.prisma, users[actor as keyof typeof users]);
  return createCaller(await createInnerContext(db.prisma, { sessionToken: token }));
}

/** Calls `path` as `actor` and returns 'OK' or the tRPC error code (+ message). Subscriptions are started and read once. */
async function outcome(actor: Actor, path: string, input: unknown): Promise<{ code: string; message: string; value?: unknown }> {
  const caller = await callerFor(actor);
  const fn = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (i: unknown) => Promise<unknown>;
  try {
    const value = await fn(input);
    if (value && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      const it = (value as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      const first = await Promise.race([it.next(), new Promise((r) => setTimeout(() => r('pending'), 1000))]);
      await it.return?.();
      return { code: 'OK', message: '', value: first };
    }
    return { code: 'OK', message: '', value };
  } catch (e) {
    if (e instanceof TRPCError) return { code: e.code, message: e.message };
    // A subscription's generator throws after the middleware chain (tasks.watch): map its AppError the way the edge does.
    if (isAppError(e)) return { code: toTRPCError(e).code, message: e.message };
    throw e;
  }
}

const DENIED = ['UNAUTHORIZED', 'FORBIDDEN'];

/** What each actor must get from a procedure of `kind` and `type` requiring `scopes` (null = anything but 401/403). */
function expected(kind: AuthKind, scopes: string[], actor: Actor, type: Proc['_def']['type'] = 'query'): 'UNAUTHORIZED' | 'FORBIDDEN' | null {
  const session = actor in users;
  switch (kind) {
    case 'public':
      return null;
    case 'authed':
    case 'customer':
      return session ? null : 'UNAUTHORIZED';
    case 'admin':
      if (!session) return 'UNAUTHORIZED';
      if (actor === 'support') return type === 'mutation' ? 'FORBIDDEN' : null;
      return STAFF.includes(actor) ? null : 'FORBIDDEN';
    case 'owner':
      return actor === 'owner' ? null : session ? 'FORBIDDEN' : 'UNAUTHORIZED';
    case 'apiKey':
      if (actor === 'fullKey') return null;
      if (actor === 'keyWithoutScope') return scopes.length ? 'FORBIDDEN' : null;
      return 'UNAUTHORIZED';
  }
}

describe('every procedure declares who may call it', () => {
  it.each(PROCEDURES.map(([p, proc]) => [p, proc] as const))('%s has meta.auth (and scopes for API keys)', (_p, proc) => {
    const meta = proc._def.meta;
    expect(KINDS).toContain(meta?.auth);
    if (meta?.auth === 'apiKey') expect(Array.isArray(meta.scopes)).toBe(true);
    // A REST route that a browser session could reach would bypass the billing key rules.
    if (meta?.openapi) expect(meta.auth === 'apiKey' || meta.auth === 'public').toBe(true);
  });
});

describe('authorization matrix (tRPC)', () => {
  it.each(PROCEDURES.map(([p, proc]) => [p, proc] as const))('%s', async (path, proc) => {
    const kind = proc._def.meta!.auth!;
    const scopes = proc._def.meta!.scopes ?? [];
    const rows: string[] = [];
    for (const actor of ACTORS) {
      const got = await outcome(actor, path, undefined);
      const want = expected(kind, scopes, actor, proc._def.type);
      const ok = want ? got.code === want : !DENIED.includes(got.code) && got.code !== 'INTERNAL_SERVER_ERROR';
      if (!ok) rows.push(`${actor}: expected ${want ?? 'allowed'}, got ${got.code} ${got.message}`);
    }
    expect(rows, `${path} (${kind})`).toEqual([]);
  });
});

// Customer-facing procedures that name a VE or a task: B probing A's object must look exactly like a miss.
type Probe = { input: () => unknown; foreign: 'NOT_FOUND' | 'EMPTY' };
const PROBES: Record<string, Probe> = {
  'portal.ve': { input: () => ({ id: veA.id }), foreign: 'NOT_FOUND' },
  'portal.usage': { input: () => ({ id: veA.id }), foreign: 'NOT_FOUND' },
  'portal.beancounters': { input: () => ({ id: veA.id }), foreign: 'NOT_FOUND' },
  'portal.sshKeys': { input: () => ({ id: veA.id }), foreign: 'NOT_FOUND' },
  'portal.addSshKey': { input: () => ({ id: veA.id, publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl probe' }), foreign: 'NOT_FOUND' },
  'portal.removeSshKey': { input: () => ({ id: veA.id, keyId: keyA }), foreign: 'NOT_FOUND' },
  'portal.power': { input: () => ({ id: veA.id, action: 'restart' }), foreign: 'NOT_FOUND' },
  'portal.reinstall': { input: () => ({ id: veA.id, templateId }), foreign: 'NOT_FOUND' },
  'portal.setPassword': { input: () => ({ id: veA.id, password: 'a new long password' }), foreign: 'NOT_FOUND' },
  'portal.setHostname': { input: () => ({ id: veA.id, hostname: 'renamed.example.test' }), foreign: 'NOT_FOUND' },
  'portal.tasks': { input: () => ({ veId: veA.id }), foreign: 'EMPTY' },
  'tasks.get': { input: () => ({ id: taskA }), foreign: 'NOT_FOUND' },
  'tasks.list': { input: () => ({ veId: veA.id }), foreign: 'EMPTY' },
  'tasks.watch': { input: () => ({ id: taskA }), foreign: 'NOT_FOUND' },
  'audit.veHistory': { input: () => ({ veId: veA.id }), foreign: 'NOT_FOUND' },
  'portal.backups.list': { input: () => ({ veId: veA.id }), foreign: 'NOT_FOUND' },
  'portal.backups.create': { input: () => ({ veId: veA.id }), foreign: 'NOT_FOUND' },
  'portal.backups.restore': { input: () => ({ id: backupA, confirm: String(veA.ctid) }), foreign: 'NOT_FOUND' },
  'portal.backups.remove': { input: () => ({ id: backupA }), foreign: 'NOT_FOUND' },
  'portal.backups.downloadLink': { input: () => ({ id: backupA }), foreign: 'NOT_FOUND' },
  'portal.backups.snapshots': { input: () => ({ veId: veA.id }), foreign: 'NOT_FOUND' },
  'portal.backups.snapshotCreate': { input: () => ({ veId: veA.id }), foreign: 'NOT_FOUND' },
  'portal.backups.snapshotAction': { input: () => ({ id: snapA, action: 'rollback' }), foreign: 'NOT_FOUND' },
  'usage.myVe': { input: () => ({ id: veA.id, range: '24h' }), foreign: 'NOT_FOUND' },
  'usage.myVeEvents': { input: () => ({ id: veA.id }), foreign: 'NOT_FOUND' },
  'usage.myQuota': { input: () => ({ id: veA.id }), foreign: 'NOT_FOUND' },
};

const inputKeys = (proc: Proc): string[] => {
  const shape = (proc._def.inputs[0] as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
};
const OWNED = PROCEDURES.filter(([, proc]) => ['customer', 'authed'].includes(proc._def.meta!.auth!) && inputKeys(proc).some((k) => k === 'id' || k === 'veId'));

describe("customer B cannot see or touch customer A's VE", () => {
  it('every customer procedure that takes an id has an ownership probe', () => {
    expect(OWNED.map(([p]) => p).filter((p) => !PROBES[p])).toEqual([]);
  });

  it.each(OWNED.map(([p]) => [p] as const))('%s', async (path) => {
    const probe = PROBES[path];
    const withId = (id: string) => JSON.parse(JSON.stringify(probe.input()).replaceAll(veA.id, id).replaceAll(taskA, id).replaceAll(backupA, id).replaceAll(snapA, id));
    const b = await outcome('customerB', path, probe.input());
    if (probe.foreign === 'NOT_FOUND') {
      const missing = await outcome('customerB', path, withId(randomUUID()));
      expect(b.code).toBe('NOT_FOUND');
      // Same answer as for an id that does not exist: nothing tells B the VE is there.
      expect(b).toEqual(missing);
    } else {
      expect(b.code).toBe('OK');
      expect((b.value as { total: number }).total).toBe(0);
    }
    // The owner is let through (their call may fail for other reasons, never as not-found or denied).
    const a = await outcome('customerA', path, probe.input());
    expect(['NOT_FOUND', ...DENIED]).not.toContain(a.code);
  });
});

/** The panel's HTTP server (REST, WebSockets) on a free port, for the duration of a describe block. */
function listening() {
  const srv = { base: '', close: async () => {} };
  beforeAll(async () => {
    const { server } = createHttpServer({ prisma: db.prisma });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    srv.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    srv.close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  });
  afterAll(async () => srv.close());
  return srv;
}

/** Credentials as each actor presents them over HTTP: a session cookie or a bearer key. */
async function actorHeaders(actor: Actor): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  if (actor in keys) headers.authorization = `Bearer ${keys[actor as keyof typeof keys]}`;
  if (actor in users) headers.cookie = `${SESSION_COOKIE}=${(await createSession(db.prisma, users[actor as keyof typeof users])).token}`;
  return headers;
}

describe('authorization matrix (REST /api/v1 from the OpenAPI document)', () => {
  const srv = listening();

  const doc = openApiDocument();
  const ROUTES = Object.entries(doc.paths ?? {}).flatMap(([p, ops]) =>
    Object.keys(ops as object).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => ({ method: m.toUpperCase(), path: p })),
  );
  const scopesOf = (method: string, path: string) => {
    const hit = PROCEDURES.find(([, proc]) => proc._def.meta?.openapi?.method === method && proc._def.meta.openapi.path === path);
    if (!hit) throw new Error(`no procedure serves ${method} ${path}`);
    return { kind: hit[1]._def.meta!.auth!, scopes: hit[1]._def.meta!.scopes ?? [] };
  };

  it('the document lists routes', () => expect(ROUTES.length).toBeGreaterThan(0));

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, r) => {
    const { kind, scopes } = scopesOf(r.method, r.path);
    const url = srv.base + REST_BASE + r.path.replace(/\{[^}]+\}/g, () => randomUUID());
    const rows: string[] = [];
    for (const actor of ACTORS) {
      const headers = { 'content-type': 'application/json', ...(await actorHeaders(actor)) };
      const res = await fetch(url, { method: r.method, headers, body: r.method === 'GET' || r.method === 'DELETE' ? undefined : '{}' });
      await res.arrayBuffer();
      const want = expected(kind, scopes, actor);
      const status = res.status;
      const ok = want === 'UNAUTHORIZED' ? status === 401 : want === 'FORBIDDEN' ? status === 403 : status !== 401 && status !== 403 && status < 500;
      if (!ok) rows.push(`${actor}: expected ${want ?? 'allowed'}, got HTTP ${status}`);
    }
    expect(rows).toEqual([]);
  });
});

// The console WebSocket (/ws/console/<veId>): sessions only (billing keys get a single-use ticket
// from the console-URL route instead); the owner and admins are let through the upgrade, the other
// customer gets the same 404 as for a VE that does not exist, everyone else 401.
describe('authorization matrix (console WebSocket)', () => {
  const srv = listening();
  const CONSOLE: Record<Actor, number> = {
    anonymous: 401, customerA: 101, customerB: 404, owner: 101, admin: 101, support: 101, keyWithoutScope: 401, revokedKey: 401, fullKey: 401,
  };

  /** The HTTP status the upgrade is answered with (101 when the WebSocket opens). */
  const upgradeStatus = async (actor: Actor, veId: string) => {
    const ws = new WebSocket(`${srv.base.replace('http', 'ws')}/ws/console/${veId}`, { headers: await actorHeaders(actor) });
    return new Promise<number>((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => { res.resume(); resolve(res.statusCode ?? 0); ws.terminate(); });
      ws.on('open', () => { resolve(101); ws.terminate(); });
      ws.on('error', (e) => { if (!/Unexpected server response|closed before/.test(e.message)) reject(e); });
    });
  };

  it.each(ACTORS.map((a) => [a] as const))('%s', async (actor) => {
    expect(await upgradeStatus(actor, veA.id)).toBe(CONSOLE[actor]);
    if (actor === 'customerB') expect(await upgradeStatus(actor, randomUUID())).toBe(404);
  });
});

// A billing staff account exists for API keys: it can neither sign in nor use a session made for it.
describe('billing staff accounts have no browser access', () => {
  it('sign-in is refused with a clear reason and a session made for it authorizes nothing', async () => {
    const email = (await db.prisma.user.findUniqueOrThrow({ where: { id: billingUser } })).email;
    const anon = createCaller(await createInnerContext(db.prisma, { ip: '127.0.0.99' }));
    await expect(anon.auth.login({ email, password: 'correct horse battery' })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/API-only/) });
    const { token } = await createSession(db.prisma, billingUser);
    const caller = createCaller(await createInnerContext(db.prisma, { sessionToken: token }));
    expect(await caller.auth.me()).toBeNull();
    await expect(caller.ves.list({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
