// People and records on real Postgres: staff accounts and roles (the last owner stays), changing your own
// password (other sessions end), deleting customers/plans/pools only when unused, reserving addresses,
// the audit log's user agent, target labels and CSV export over HTTP, and webhook redelivery to a real
// receiver whose signature verifies.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession, SESSION_COOKIE, validateSession } from '@/server/services/auth/sessions';
import { createPlan } from '@/server/services/plans';
import { emitWebhookEvent, verifyWebhookSignature } from '@/server/services/webhooks';
import { deliverOnce } from '@/server/operations/webhooks/deliver';
import { createHttpServer } from '@/server/http/server';
import { csvCell } from '@/server/services/audit/csv';

let db: TestDatabase;
const PW = 'correct horse battery';
let ownerId = '';
let veId = '';
let nodeId = '';

async function as(userId: string, ua = 'vitest-people/1') {
  const { token } = await createSession(db.prisma, userId);
  const ctx = await createInnerContext(db.prisma, { sessionToken: token, ip: '192.0.2.44' });
  ctx.userAgent = ua;
  return createCaller(ctx);
}
const staff = (adminRole: 'owner' | 'admin' | 'support') => createUser(db.prisma, { email: `${uniq(adminRole)}@example.test`, password: PW, role: 'admin', adminRole });

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  ownerId = (await staff('owner')).id;
  const node = await seedNode(db.prisma);
  nodeId = node.id;
  const template = await seedTemplate(db.prisma);
  const plan = await createPlan(db.prisma, { name: uniq('plan'), ram: 256, diskspace: 1024 });
  const alice = await createUser(db.prisma, { email: `${uniq('alice')}@example.test`, password: PW });
  veId = (await db.prisma.ve.create({
    data: { ctid: 27000 + Math.floor(Math.random() * 999), hostname: 'alice.example.test', nodeId: node.id, planId: plan.id, templateId: template.id, ownerId: alice.id, state: 'running', limits: { ram: 256, diskspace: 1024 } },
  })).id;
}, 60_000);
afterAll(async () => db?.drop());

describe('staff accounts and roles', () => {
  it('an owner creates an admin and a support user, changes roles, and can never remove the last owner', async () => {
    const owner = await as(ownerId);
    const created = await owner.staff.create({ email: `${uniq('sup')}@example.test`, adminRole: 'support' });
    expect(created.password).toMatch(/^\S{20}$/);
    expect(created.staff.adminRole).toBe('support');
    const billing = await owner.staff.create({ email: `${uniq('bill')}@example.test`, adminRole: 'billing' });
    expect(billing.password).toBeNull();

    const support = await as(created.staff.id);
    expect((await support.staff.list()).map((s) => s.id)).toContain(ownerId);
    expect((await support.ves.list({})).items.map((v) => v.id)).toContain(veId);
    await expect(support.ves.power({ id: veId, action: 'stop' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(support.staff.create({ email: `${uniq('x')}@example.test`, adminRole: 'owner' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // Support may still change their own password (self-service is not fleet management).
    await expect(support.auth.changePassword({ currentPassword: created.password!, newPassword: 'support new password' })).resolves.toMatchObject({ otherSessionsEnded: 0 });

    // The only owner can neither be demoted nor disabled; with a second owner, demotion works.
    await expect(owner.staff.setRole({ id: ownerId, adminRole: 'admin' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/last owner/) });
    await expect(owner.staff.setDisabled({ id: ownerId, disabled: true })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const second = await owner.staff.create({ email: `${uniq('own2')}@example.test`, adminRole: 'owner' });
    const owner2 = await as(second.staff.id);
    await expect(owner2.staff.setDisabled({ id: ownerId, disabled: true })).resolves.toMatchObject({ disabled: true });
    await expect(owner2.staff.setRole({ id: second.staff.id, adminRole: 'admin' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await owner2.staff.setDisabled({ id: ownerId, disabled: false });
    const browser = await createSession(db.prisma, second.staff.id);
    expect((await owner2.staff.setRole({ id: second.staff.id, adminRole: 'admin' })).adminRole).toBe('admin');
    // A role change ends the changed user's sessions: new rights apply from the next sign-in.
    expect(await validateSession(db.prisma, browser.token)).toBeNull();
  });

  it('an owner resets a second factor: TOTP off, backup codes gone, sessions ended', async () => {
    const admin = await staff('admin');
    await db.prisma.user.update({ where: { id: admin.id }, data: { totpEnabled: true, totpSecret: 'JBSWY3DPEHPK3PXP', backupCodeHashes: ['x'] } });
    const { token } = await createSession(db.prisma, admin.id);
    const r = await (await as(ownerId)).staff.resetSecondFactor({ id: admin.id });
    expect(r.totpEnabled).toBe(false);
    expect(await db.prisma.user.findUniqueOrThrow({ where: { id: admin.id }, select: { totpSecret: true, backupCodeHashes: true } })).toEqual({ totpSecret: null, backupCodeHashes: [] });
    expect(await validateSession(db.prisma, token)).toBeNull();
  });
});

describe('changing your own password', () => {
  it('needs the current password and ends every other session, keeping this one', async () => {
    const u = await createUser(db.prisma, { email: `${uniq('bob')}@example.test`, password: PW });
    const other = await createSession(db.prisma, u.id);
    const { token } = await createSession(db.prisma, u.id);
    const me = createCaller(await createInnerContext(db.prisma, { sessionToken: token }));
    await expect(me.auth.changePassword({ currentPassword: 'wrong password!!', newPassword: 'a new password 1' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await validateSession(db.prisma, other.token)).not.toBeNull();
    expect(await me.auth.changePassword({ currentPassword: PW, newPassword: 'a new password 1' })).toEqual({ otherSessionsEnded: 1 });
    expect(await validateSession(db.prisma, other.token)).toBeNull();
    expect(await validateSession(db.prisma, token)).not.toBeNull();
    const anon = createCaller(await createInnerContext(db.prisma, { ip: '127.0.0.27' }));
    await expect(anon.auth.login({ email: u.email, password: PW })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await anon.auth.login({ email: u.email, password: 'a new password 1' })).toEqual({ ok: true });
  });
});

describe('deleting only what is unused', () => {
  it('customers, plans and IP pools in use are refused with the reason; unused ones go', async () => {
    const owner = await as(ownerId);
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { id: veId } });
    await expect(owner.customers.remove({ id: ve.ownerId! })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(String(ve.ctid)) });
    const lone = await createUser(db.prisma, { email: `${uniq('lone')}@example.test`, password: PW });
    await owner.customers.remove({ id: lone.id });
    expect(await db.prisma.user.findUnique({ where: { id: lone.id } })).toBeNull();
    await expect(owner.customers.remove({ id: ownerId })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    await expect(owner.plans.remove({ id: ve.planId! })).rejects.toMatchObject({ code: 'CONFLICT' });
    const spare = await createPlan(db.prisma, { name: uniq('spare'), ram: 128, diskspace: 512 });
    await owner.plans.remove({ id: spare.id });
    expect(await db.prisma.plan.findUnique({ where: { id: spare.id } })).toBeNull();

    const pool = await owner.ipPools.create({ name: uniq('pool'), cidr: '10.199.127.0/29', gateway: '10.199.127.1' });
    expect((await owner.ipPools.update({ id: pool.id, patch: { nameservers: ['10.199.127.2'] } })).nameservers).toEqual(['10.199.127.2']);
    await owner.ipPools.setReserved({ address: '10.199.127.3', reserved: true });
    expect((await owner.ipPools.get({ id: pool.id })).addresses.find((a) => a.address === '10.199.127.3')?.reserved).toBe(true);
    await expect(owner.ipPools.setReserved({ address: '10.199.128.3', reserved: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await db.prisma.ipAddress.update({ where: { address: '10.199.127.4' }, data: { veId } });
    await expect(owner.ipPools.setReserved({ address: '10.199.127.4', reserved: true })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(owner.ipPools.remove({ id: pool.id })).rejects.toMatchObject({ code: 'CONFLICT' });
    await db.prisma.ipAddress.update({ where: { address: '10.199.127.4' }, data: { veId: null } });
    await owner.ipPools.remove({ id: pool.id });
    expect(await db.prisma.ipPool.findUnique({ where: { id: pool.id } })).toBeNull();
  });
});

describe('audit log', () => {
  it('records the user agent, labels the VE and node, filters by VE and node, and exports a safe CSV', async () => {
    const owner = await as(ownerId, 'Mozilla/5.0 people-test');
    await owner.ves.setHostname({ id: veId, hostname: '=cmd|calc' }).catch(() => undefined);
    const list = await owner.audit.list({ veId });
    expect(list.items[0]).toMatchObject({ action: 'ves.setHostname', userAgent: 'Mozilla/5.0 people-test', ip: '192.0.2.44', targetLabel: expect.stringMatching(/alice\.example\.test on /) });
    expect((await owner.audit.list({ nodeId })).total).toBeGreaterThanOrEqual(1);
    expect((await owner.audit.list({ nodeId: 'no-such-node' })).total).toBe(0);

    expect(csvCell('=1+1')).toBe(`"'=1+1"`);
    expect(csvCell('-2')).toBe(`"'-2"`);
    expect(csvCell('say "hi",\nbye')).toBe('"say ""hi"",\nbye"');

    const { server } = createHttpServer({ prisma: db.prisma });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cookie = async (id: string) => `${SESSION_COOKIE}=${(await createSession(db.prisma, id)).token}`;
      const res = await fetch(`${base}/api/audit.csv?veId=${veId}&action=ves.setHostname`, { headers: { cookie: await cookie(ownerId) } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/csv/);
      expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="vzpanel-audit-/);
      const lines = (await res.text()).trim().split('\r\n');
      expect(lines[0]).toBe('"time","outcome","actor_type","actor","action","target_type","target_id","target","ip","user_agent","details"');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain('"ves.setHostname"');
      expect(lines[1]).toContain('"Mozilla/5.0 people-test"');
      // The hostname the caller typed sits inside the JSON details cell, which starts with "{", not "=".
      expect(lines[1]).toContain('=cmd|calc');
      const support = await staff('support');
      expect((await fetch(`${base}/api/audit.csv`, { headers: { cookie: await cookie(support.id) } })).status).toBe(200);
      const customer = await createUser(db.prisma, { email: `${uniq('c')}@example.test`, password: PW });
      expect((await fetch(`${base}/api/audit.csv`, { headers: { cookie: await cookie(customer.id) } })).status).toBe(403);
      expect((await fetch(`${base}/api/audit.csv`)).status).toBe(401);
      expect((await fetch(`${base}/api/audit.csv?outcome=maybe`, { headers: { cookie: await cookie(ownerId) } })).status).toBe(400);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('webhook redelivery', () => {
  it('sends the same event again, signed so the receiver verifies it, and logs the response', async () => {
    const got: Array<{ sig: string; body: string; delivery: string }> = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ sig: String(req.headers['x-vzpanel-signature']), body, delivery: String(req.headers['x-vzpanel-delivery']) });
        res.statusCode = got.length === 1 ? 503 : 200;
        res.end(got.length === 1 ? 'not now' : 'thanks');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const owner = await as(ownerId);
      await owner.webhooks.setAllowedNetworks({ networks: ['127.0.0.1/32'] });
      const { webhook, secret } = await owner.webhooks.create({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['ve.destroyed'] });
      await emitWebhookEvent(db.prisma, 've.destroyed', { ve: { id: 'gone-ve', ctid: 27999, externalId: 'svc-1' } });
      const first = (await owner.webhooks.deliveries({ webhookId: webhook.id })).items[0];
      await deliverOnce(db.prisma, first.id);
      const again = await owner.webhooks.redeliver({ id: first.id });
      await deliverOnce(db.prisma, again.id);
      const log = (await owner.webhooks.deliveries({ webhookId: webhook.id })).items;
      // The first try got a 503 and waits for its retry; the redelivery is a new row that succeeded.
      expect(log.map((d) => [d.id, d.status, d.responseStatus, d.responseBody])).toEqual([[again.id, 'succeeded', 200, 'thanks'], [first.id, 'pending', 503, 'not now']]);
      const last = got[got.length - 1];
      expect(last.delivery).toBe(again.id);
      expect(verifyWebhookSignature(secret!, last.sig, last.body)).toBe(true);
      expect(JSON.parse(last.body)).toMatchObject({ event: 've.destroyed', id: JSON.parse(got[0].body).id, data: { ve: { id: 'gone-ve', ctid: 27999, externalId: 'svc-1' } } });
      await owner.webhooks.update({ id: webhook.id, enabled: false });
      await expect(owner.webhooks.redeliver({ id: first.id })).rejects.toMatchObject({ code: 'CONFLICT' });
    } finally {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });
});
