// The billing REST API driven over real HTTP as a WHMCS-style module would (real Postgres, no agent:
// node work is asserted as queued tasks with their parameters; billing-flow.int.test.ts runs it for real).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq } from '@/test/fixtures/panel';
import { startBillingApi, type BillingApiEnv, type Json } from '@/test/fixtures/billing-api';
import { consumeConsoleTicket } from '@/server/services/console/tickets';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';

let env: BillingApiEnv;
let db: BillingApiEnv['db'];
let base = '';
let readOnly = '';
let revoked = '';
let template = '';
let planSmall = '';
let planBig = '';
let nodeName = '';
let api: BillingApiEnv['api'];

beforeAll(async () => {
  env = await startBillingApi();
  ({ db, base, template, planSmall, planBig, nodeName, api } = env);
  ({ readOnly, revoked } = env.keys);
}, 60_000);
afterAll(async () => env?.close());

const PASSWORD = 'Sup3r secret pw!';
const createBody = (o: Json = {}) => ({ customerExternalId: 'client-7', plan: planSmall, template, hostname: `${uniq('vps')}.example.test`, password: PASSWORD, node: nodeName, ...o });
const taskCount = () => db.prisma.task.count();
// What the ve.create task does on the node, for tests that continue after the create.
const markRunning = (id: string) => db.prisma.ve.update({ where: { id }, data: { state: 'running' } });

describe('customers', () => {
  it('upserts a customer by external id, then updates it', async () => {
    const a = await api('PUT', '/customers/client-7', { email: 'Seven@Example.test', name: 'Seven' });
    expect(a.status).toBe(200);
    expect(a.json.created).toBe(true);
    expect(a.json.customer.email).toBe('seven@example.test');
    const b = await api('PUT', '/customers/client-7', { email: 'seven@example.test', name: 'Seven Ltd' });
    expect(b.json).toMatchObject({ created: false, customer: { id: a.json.customer.id, name: 'Seven Ltd' } });
  });
});

describe('create with Idempotency-Key', () => {
  it('a retried create returns the first answer and makes one VE; concurrent duplicates too', async () => {
    const body = createBody({ externalId: 'svc-1', overrides: { ram: 512 } });
    const first = await api('POST', '/ves', body, { idem: 'create-svc-1' });
    expect(first.status).toBe(200);
    expect(first.json.taskId).toEqual(expect.any(String));
    expect(first.json.ipAddresses).toHaveLength(1);
    const again = await api('POST', '/ves', body, { idem: 'create-svc-1' });
    expect(again).toEqual(first);
    expect(await db.prisma.ve.count({ where: { externalId: 'svc-1' } })).toBe(1);
    expect(await db.prisma.task.count({ where: { veId: first.json.ve.id, type: 've.create' } })).toBe(1);

    const b2 = createBody({ externalId: 'svc-2' });
    const burst = await Promise.all([1, 2, 3, 4].map(() => api('POST', '/ves', b2, { idem: 'create-svc-2' })));
    // The duplicates wait on the key row of the first transaction, then replay its committed answer.
    expect(burst.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (const r of burst) expect(r.json).toEqual(burst[0].json);
    expect(await db.prisma.ve.count({ where: { externalId: 'svc-2' } })).toBe(1);
  });

  it('the same key with other parameters is 422 and creates nothing', async () => {
    const before = await db.prisma.ve.count();
    const r = await api('POST', '/ves', createBody({ externalId: 'svc-1', overrides: { ram: 768 } }), { idem: 'create-svc-1' });
    expect(r.status).toBe(422);
    expect(r.json.message).toMatch(/Idempotency-Key/);
    expect(await db.prisma.ve.count()).toBe(before);
  });

  it('queues the create with a SHA-512 crypt hash; the clear password is stored nowhere', async () => {
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-1' }, include: { owner: true } });
    expect(ve.owner?.externalId).toBe('client-7');
    const task = await db.prisma.task.findFirstOrThrow({ where: { veId: ve.id, type: 've.create' } });
    const params = task.params as Json;
    expect(params.rootPasswordHash).toMatch(/^\$6\$/);
    expect(params.limits.ram).toBe(512);
    const everything = JSON.stringify([await db.prisma.task.findMany(), await db.prisma.idempotencyKey.findMany(), await db.prisma.auditLog.findMany()]);
    expect(everything).not.toContain(PASSWORD);
  });
});

describe('reads', () => {
  it('gets one VE, the status of many in one call, and the reconciliation list', async () => {
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-1' } });
    const one = await api('GET', `/ves/${ve.id}`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ id: ve.id, externalId: 'svc-1', customerExternalId: 'client-7', overrides: { ram: 512 }, suspension: null });
    const many = await api('GET', `/ves/status?ids=${ve.id},nope-1&externalIds=svc-2`);
    expect(many.status).toBe(200);
    expect(many.json.ves.map((v: Json) => v.externalId).sort()).toEqual(['svc-1', 'svc-2']);
    expect(many.json.ves[0].pendingTasks).toBe(1);
    expect(many.json.notFound).toEqual(['nope-1']);
    const all = await api('GET', '/ves');
    expect(all.json.map((v: Json) => v.externalId)).toEqual(expect.arrayContaining(['svc-1', 'svc-2']));
  });
});

describe('suspend and unsuspend', () => {
  it('suspend stops the VE and remembers it was running; unsuspend queues the restore', async () => {
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-1' } });
    await markRunning(ve.id);
    const s = await api('POST', `/ves/${ve.id}/suspend`, { reason: 'invoice 42 overdue' });
    expect(s.status).toBe(200);
    expect(s.json).toMatchObject({ mode: 'stop', previousState: 'running' });
    const row = await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.id } });
    expect(row).toMatchObject({ state: 'suspended', suspendReason: 'invoice 42 overdue', suspendMode: 'stop', prevPowerState: 'running' });
    expect((await db.prisma.task.findUniqueOrThrow({ where: { id: s.json.taskId } })).type).toBe('ve.billing.suspend');
    // A retry is answered with the suspension in force (billing-contract.int.test.ts has the details).
    expect((await api('POST', `/ves/${ve.id}/suspend`, { reason: 'again' })).json).toMatchObject({ changed: false, mode: 'stop' });
    // A suspended VE refuses power actions until unsuspended.
    expect((await api('POST', `/ves/${ve.id}/power`, { action: 'start' })).status).toBe(422);

    const u = await api('POST', `/ves/${ve.id}/unsuspend`, {});
    expect(u.status).toBe(200);
    expect(u.json.restores).toBe('running');
    const t = await db.prisma.task.findUniqueOrThrow({ where: { id: u.json.taskId } });
    expect(t).toMatchObject({ type: 've.billing.unsuspend', params: { mode: 'stop', restore: 'running', ctid: ve.ctid } });
    expect((await api('POST', `/ves/${ve.id}/unsuspend`, {})).json).toMatchObject({ changed: false, taskId: u.json.taskId });
  });

  it('network-only suspension keeps the VE running and queues the removal of its addresses', async () => {
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-2' }, include: { ipAddresses: true } });
    await markRunning(ve.id);
    const s = await api('POST', `/ves/${ve.id}/suspend`, { reason: 'abuse report', networkOnly: true });
    expect(s.json).toMatchObject({ mode: 'network', previousState: 'running' });
    const t = await db.prisma.task.findUniqueOrThrow({ where: { id: s.json.taskId } });
    expect((t.params as Json).addresses.map((a: Json) => a.cidr)).toEqual(ve.ipAddresses.map((a) => `${a.address}/24`));
    const st = await api('GET', `/ves/status?externalIds=svc-2`);
    expect(st.json.ves[0].suspension).toMatchObject({ reason: 'abuse report', mode: 'network' });
  });

  it("an admin's resume of a billing-suspended VE is the billing unsuspend (never a thaw of a VE that is not frozen)", async () => {
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-2' } });
    const admin = await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password: 'admin password 1', role: 'admin' });
    const caller = createCaller(await createInnerContext(db.prisma, { sessionToken: (await createSession(db.prisma, admin.id)).token }));
    const r = await caller.ves.power({ id: ve.id, action: 'resume' });
    expect(await db.prisma.task.findUniqueOrThrow({ where: { id: r.taskId } })).toMatchObject({ type: 've.billing.unsuspend', params: { mode: 'network', restore: 'running' } });
  });
});

describe('change plan', () => {
  it('keeps paid overrides, applies explicit ones, says what changes live', async () => {
    const c = await api('POST', '/ves', createBody({ externalId: 'svc-3', overrides: { ram: 512 } }), { idem: 'create-svc-3' });
    await markRunning(c.json.ve.id);
    const r = await api('POST', `/ves/${c.json.ve.id}/plan`, { plan: planBig, overrides: { numproc: 2048 } });
    expect(r.status).toBe(200);
    expect(r.json.overrides).toEqual({ ram: 512, numproc: 2048 });
    expect(r.json.limits).toMatchObject({ ram: 512, diskspace: 8192, cpus: 2, numproc: 2048 });
    // This node never said (hello) that it grows a mounted disk: the grow is reported as waiting for a restart.
    expect(r.json.changes).toEqual(expect.arrayContaining([{ field: 'diskspace', from: 2048, to: 8192, live: false }]));
    expect(r.json.changes.map((x: Json) => x.field)).not.toContain('ram');
    expect(r.json.needsRestart).toEqual(['diskspace']);
    const t = await db.prisma.task.findUniqueOrThrow({ where: { id: r.json.taskId } });
    expect(t.type).toBe('ve.set');
    expect((t.params as Json).limits).toMatchObject({ diskspace: 8192, cpus: 2, numproc: 2048 });
    expect((t.params as Json).limits.ram).toBeUndefined();
    // Nothing is written to the VE before the node confirms; a second change waits for the first.
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: c.json.ve.id } })).limits).toMatchObject({ diskspace: 2048 });
    expect((await api('POST', `/ves/${c.json.ve.id}/plan`, { plan: planBig })).status).toBe(409);
  });

  it('refuses a disk shrink while running, with nothing queued or changed', async () => {
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-3' } });
    // The node confirms the pending change (no node runs it here): what the ve.set handler then writes.
    const set = await db.prisma.task.findFirstOrThrow({ where: { veId: ve.id, type: 've.set' } });
    const p = set.params as Json;
    await db.prisma.task.update({ where: { id: set.id }, data: { status: 'succeeded', finishedAt: new Date() } });
    await db.prisma.ve.update({ where: { id: ve.id }, data: { planId: p.planId, overrides: p.overrides, limits: { ...(ve.limits as Json), ...p.limits } } });
    const before = await taskCount();
    const r = await api('POST', `/ves/${ve.id}/plan`, { plan: planSmall });
    expect(r.status).toBe(422);
    expect(r.json.message).toMatch(/diskspace shrink/);
    expect(await taskCount()).toBe(before);
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.id } })).limits).toMatchObject({ diskspace: 8192 });
  });
});

describe('other VE actions', () => {
  it('power, hostname, password, reinstall and terminate each return a task id', async () => {
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-3' } });
    const power = await api('POST', `/ves/${ve.id}/power`, { action: 'restart' });
    expect((await db.prisma.task.findUniqueOrThrow({ where: { id: power.json.taskId } })).type).toBe('ve.restart');
    const h = await api('POST', `/ves/${ve.id}/hostname`, { hostname: 'renamed.example.test' });
    expect((await db.prisma.task.findUniqueOrThrow({ where: { id: h.json.taskId } })).params).toMatchObject({ hostname: 'renamed.example.test' });
    const pw = await api('POST', `/ves/${ve.id}/password`, { password: 'semi;colon $(not a shell) -dash' });
    const pwTask = await db.prisma.task.findUniqueOrThrow({ where: { id: pw.json.taskId } });
    // Passwords may hold any printable character: they are hashed here and never reach a shell or the node in clear.
    expect((pwTask.params as Json).passwordHash).toMatch(/^\$6\$/);
    expect(JSON.stringify(pwTask.params)).not.toContain('semi;colon');
    const task = await api('GET', `/tasks/${pw.json.taskId}`);
    expect(task.json).toMatchObject({ id: pw.json.taskId, type: 've.set', status: 'queued' });
    expect(task.json).not.toHaveProperty('params');
    const re = await api('POST', `/ves/${ve.id}/reinstall`, { template });
    expect((await db.prisma.task.findUniqueOrThrow({ where: { id: re.json.taskId } })).type).toBe('ve.reinstall');
    await markRunning(ve.id);
    const del = await api('DELETE', `/ves/${ve.id}`);
    expect(del.status).toBe(200);
    expect((await db.prisma.task.findUniqueOrThrow({ where: { id: del.json.taskId } })).type).toBe('ve.destroy');
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.id } })).state).toBe('destroying');
  });

  it('console URL: short-lived ticket stored hashed, opens once', async () => {
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-1' } });
    await db.prisma.ve.update({ where: { id: ve.id }, data: { state: 'running', suspendedAt: null, suspendMode: null } });
    const r = await api('POST', `/ves/${ve.id}/console`, {});
    expect(r.status).toBe(200);
    const url = new URL(r.json.url, 'http://x');
    expect(url.pathname).toBe(`/console/${ve.id}`);
    const ticket = url.searchParams.get('ticket')!;
    expect(new Date(r.json.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    expect(JSON.stringify(await db.prisma.consoleTicket.findMany())).not.toContain(ticket);
    expect(await consumeConsoleTicket(db.prisma, ticket)).toMatchObject({ veId: ve.id, ctid: ve.ctid });
    expect(await consumeConsoleTicket(db.prisma, ticket)).toBeNull();
  });

  it('one-time login link: GET only shows a confirm page (scanners burn nothing); our own POST signs in once', async () => {
    const r = await api('POST', '/customers/client-7/login-token', {});
    expect(r.status).toBe(200);
    const origin = base.replace('/api/v1', '');
    const link = origin + r.json.url;
    for (let i = 0; i < 2; i++) {
      const look = await fetch(link, { redirect: 'manual' });
      expect(look.status).toBe(200);
      expect(look.headers.get('set-cookie')).toBeNull();
      expect(look.headers.get('x-frame-options')).toBe('DENY');
      expect(await look.text()).toMatch(/Continue as <b>seven@example\.test<\/b>[\s\S]*<form method="post">/);
    }
    // A form on another site posting to the link (login CSRF) is refused and burns nothing.
    const forged = await fetch(link, { method: 'POST', redirect: 'manual', headers: { origin: 'https://evil.example' } });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('set-cookie')).toBeNull();
    const first = await fetch(link, { method: 'POST', redirect: 'manual', headers: { origin } });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/portal');
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/vz_session=[^;]+; .*HttpOnly/i);
    const me = await fetch(base.replace('/api/v1', '/api/trpc/auth.me'), { headers: { cookie: cookie.split(';')[0] } });
    expect(((await me.json()) as Json).result.data.email).toBe('seven@example.test');
    const second = await fetch(link, { method: 'POST', redirect: 'manual', headers: { origin } });
    expect(second.headers.get('location')).toMatch(/^\/login/);
    expect(second.headers.get('set-cookie')).toBeNull();
    expect((await fetch(link, { redirect: 'manual' })).headers.get('location')).toMatch(/^\/login/);
    expect((await api('POST', '/customers/nobody/login-token', {})).status).toBe(404);
  });

  it('a login link never replaces an admin session; it replaces (and ends) another customer session', async () => {
    const origin = base.replace('/api/v1', '');
    const admin = await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password: PASSWORD, role: 'admin' });
    const adminCookie = `vz_session=${(await createSession(db.prisma, admin.id)).token}`;
    const link = origin + (await api('POST', '/customers/client-7/login-token', {})).json.url;
    expect((await fetch(link, { headers: { cookie: adminCookie }, redirect: 'manual' })).status).toBe(409);
    const post = await fetch(link, { method: 'POST', headers: { cookie: adminCookie, origin }, redirect: 'manual' });
    expect(post.status).toBe(409);
    expect(post.headers.get('set-cookie')).toBeNull();
    const meAdmin = await fetch(`${origin}/api/trpc/auth.me`, { headers: { cookie: adminCookie } });
    expect(((await meAdmin.json()) as Json).result.data.email).toBe(admin.email);

    // The link is still good for the customer's own browser, and ends the other customer session there.
    const other = await createUser(db.prisma, { email: `${uniq('other')}@example.test`, password: PASSWORD, role: 'customer' });
    const otherCookie = `vz_session=${(await createSession(db.prisma, other.id)).token}`;
    const ok = await fetch(link, { method: 'POST', headers: { cookie: otherCookie, origin }, redirect: 'manual' });
    expect(ok.headers.get('location')).toBe('/portal');
    const meOld = await fetch(`${origin}/api/trpc/auth.me`, { headers: { cookie: otherCookie } });
    expect(((await meOld.json()) as Json).result.data).toBeNull();
  });
});

describe('scopes and keys', () => {
  it('401 without a key or with a revoked one, 403 without the scope, and nothing queued', async () => {
    const before = await taskCount();
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-1' } });
    expect((await api('POST', '/ves', createBody(), { key: '' })).status).toBe(401);
    expect((await api('POST', '/ves', createBody(), { key: revoked })).status).toBe(401);
    expect((await api('POST', '/ves', createBody(), { key: readOnly })).status).toBe(403);
    expect((await api('POST', `/ves/${ve.id}/power`, { action: 'stop' }, { key: readOnly })).status).toBe(403);
    expect((await api('GET', `/ves/${ve.id}`, undefined, { key: readOnly })).status).toBe(200);
    expect(await taskCount()).toBe(before);
    const denied = await db.prisma.auditLog.findFirst({ where: { action: 'billing.power', outcome: 'denied' } });
    expect(denied).toMatchObject({ actorType: 'apiKey', actorLabel: 'reader', targetType: 've', targetId: ve.id, ip: '127.0.0.1' });
  });
});

describe('audit', () => {
  it('every billing mutation left one row with the key, action, target, ip and outcome, without secrets', async () => {
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { externalId: 'svc-1' } });
    const rows = await db.prisma.auditLog.findMany({ where: { targetType: 've', targetId: ve.id }, orderBy: { createdAt: 'asc' } });
    const actions = rows.map((r) => `${r.action}:${r.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['billing.create:success', 'billing.suspend:success', 'billing.unsuspend:success', 'billing.consoleUrl:success']));
    const create = rows.find((r) => r.action === 'billing.create')!;
    expect(create).toMatchObject({ actorType: 'apiKey', actorLabel: 'whmcs', ip: '127.0.0.1' });
    expect((create.details as Json).input.password).toBe('[redacted]');
    expect(JSON.stringify(await db.prisma.auditLog.findMany())).not.toMatch(/vzk_[a-z2-7]{8}_[a-z2-7]{48}|ticket=|Sup3r/);
  });
});
