// Audit log written by the tRPC middleware for every mutation (UI sessions here; API keys in the billing
// tests), admin search with filters, a customer's own VE history; webhook admin CRUD. Real Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';
import { createPlan } from '@/server/services/plans';
import { emitWebhookEvent } from '@/server/services/webhooks';

let db: TestDatabase;
let adminId = '';
let aliceId = '';
let bobId = '';
let veId = '';
const PW = 'correct horse battery';

async function as(userId: string, ip = '127.0.0.1') {
  const { token } = await createSession(db.prisma, userId);
  return createCaller(await createInnerContext(db.prisma, { sessionToken: token, ip }));
}

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  adminId = (await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password: PW, role: 'admin' })).id;
  aliceId = (await createUser(db.prisma, { email: `${uniq('alice')}@example.test`, password: PW })).id;
  bobId = (await createUser(db.prisma, { email: `${uniq('bob')}@example.test`, password: PW })).id;
  const node = await seedNode(db.prisma);
  const template = await seedTemplate(db.prisma);
  const plan = await createPlan(db.prisma, { name: uniq('plan'), ram: 256, diskspace: 1024 });
  veId = (await db.prisma.ve.create({
    data: { ctid: 7000 + Math.floor(Math.random() * 90_000), hostname: 'alice.example.test', nodeId: node.id, planId: plan.id, templateId: template.id, ownerId: aliceId, state: 'running', limits: { ram: 256, diskspace: 1024 } },
  })).id;
}, 60_000);
afterAll(async () => db?.drop());

describe('audit middleware', () => {
  it('records success, failure and denial of mutations with actor, target and ip, never the password', async () => {
    const alice = await as(aliceId, '192.0.2.10');
    await alice.portal.power({ id: veId, action: 'restart' });
    await expect(alice.portal.setPassword({ id: veId, password: 'short' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await alice.portal.setPassword({ id: veId, password: 'a brand new root password' });
    await expect(alice.ves.power({ id: veId, action: 'kill' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(createCaller(await createInnerContext(db.prisma, { ip: '198.51.100.7' })).auth.login({ email: 'nobody@example.test', password: 'guess password 1' })).rejects.toBeTruthy();

    const rows = await db.prisma.auditLog.findMany({ orderBy: { createdAt: 'asc' } });
    const mine = rows.filter((r) => r.actorId === aliceId).map((r) => [r.action, r.outcome, r.targetType, r.targetId, r.ip]);
    expect(mine).toEqual([
      ['portal.power', 'success', 've', veId, '192.0.2.10'],
      ['portal.setPassword', 'failure', 've', veId, '192.0.2.10'],
      ['portal.setPassword', 'success', 've', veId, '192.0.2.10'],
      ['ves.power', 'denied', 've', veId, '192.0.2.10'],
    ]);
    const login = rows.find((r) => r.action === 'auth.login')!;
    // A refused sign-in is a denial (401), recorded with the address it came from.
    expect(login).toMatchObject({ outcome: 'denied', actorLabel: 'anonymous', ip: '198.51.100.7', details: { input: { email: 'nobody@example.test', password: '[redacted]' } } });
    expect(JSON.stringify(rows)).not.toMatch(/a brand new root password|guess password 1|\$6\$/);
    // Queries are not audited.
    await alice.portal.myVes({});
    expect(await db.prisma.auditLog.count({ where: { action: 'portal.myVes' } })).toBe(0);
  });
});

describe('audit.list (admin)', () => {
  it('filters by actor, action (exact or prefix), target, outcome and date', async () => {
    const admin = await as(adminId);
    expect((await admin.audit.list({ actorId: aliceId })).total).toBe(4);
    expect((await admin.audit.list({ action: 'portal.' })).items.map((r) => r.action).sort()).toEqual(['portal.power', 'portal.setPassword', 'portal.setPassword']);
    expect((await admin.audit.list({ outcome: 'denied' })).items.map((r) => r.action)).toEqual(['auth.login', 'ves.power']);
    expect((await admin.audit.list({ outcome: 'denied', actorType: 'user', actorId: aliceId })).items.map((r) => r.action)).toEqual(['ves.power']);
    expect((await admin.audit.list({ targetType: 've', targetId: veId, outcome: 'failure' })).total).toBe(1);
    expect((await admin.audit.list({ actor: 'alice' })).total).toBe(4);
    expect((await admin.audit.list({ from: new Date(Date.now() + 60_000) })).total).toBe(0);
    expect((await admin.audit.list({ to: new Date(Date.now() + 60_000), pageSize: 2 })).items).toHaveLength(2);
    await expect((await as(aliceId)).audit.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe("a customer's VE history", () => {
  it('shows the owner what happened to their VE; another customer gets not-found', async () => {
    const admin = await as(adminId);
    await admin.ves.power({ id: veId, action: 'stop' });
    const h = await (await as(aliceId)).audit.veHistory({ veId });
    expect(h.items.map((i) => `${i.action}:${i.outcome}:${i.by}`)).toEqual([
      'ves.power:success:administrator', 'ves.power:denied:you', 'portal.setPassword:success:you', 'portal.setPassword:failure:you', 'portal.power:success:you',
    ]);
    // The admin's address is not shown to the customer; their own is.
    expect(h.items[0].ip).toBeNull();
    expect(h.items[1].ip).toBe('192.0.2.10');
    await expect((await as(bobId)).audit.veHistory({ veId })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'VE not found' });
  });
});

describe('webhooks (admin CRUD)', () => {
  it('the secret is shown at creation and rotation only; events filter which hooks get a delivery', async () => {
    const admin = await as(adminId);
    const a = await admin.webhooks.create({ url: 'http://127.0.0.1:9/a', events: ['ve.suspended'] });
    const b = await admin.webhooks.create({ url: 'http://127.0.0.1:9/b' });
    expect(a.secret).toMatch(/^whsec_/);
    const listed = await admin.webhooks.list();
    expect(JSON.stringify(listed)).not.toContain(a.secret!);
    expect(listed.events).toContain('task.succeeded');
    await expect(admin.webhooks.create({ url: 'file:///etc/passwd' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(admin.webhooks.create({ url: 'http://127.0.0.1:9/', events: ['nope' as never] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const rotated = await admin.webhooks.update({ id: a.webhook.id, rotateSecret: true, description: 'billing' });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(a.secret);
    expect((await admin.webhooks.update({ id: a.webhook.id, enabled: true })).secret).toBeNull();

    expect(await emitWebhookEvent(db.prisma, 'task.succeeded', { task: { id: 't' } })).toBe(1);
    expect(await emitWebhookEvent(db.prisma, 've.suspended', { ve: { id: veId } })).toBe(2);
    const d = await admin.webhooks.deliveries({ webhookId: a.webhook.id });
    expect(d.items.map((x) => [x.event, x.status])).toEqual([['ve.suspended', 'pending']]);
    // Each delivery has a job queued for the worker.
    const jobs = await db.prisma.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'webhook.deliver'`;
    expect(Number(jobs[0].n)).toBe(3);

    await admin.webhooks.remove({ id: b.webhook.id });
    expect((await admin.webhooks.list()).items.map((w) => w.id)).toEqual([a.webhook.id]);
    expect(await db.prisma.auditLog.count({ where: { action: { startsWith: 'webhooks.' }, actorId: adminId } })).toBe(7);
    expect(await db.prisma.auditLog.count({ where: { action: 'webhooks.create', outcome: 'failure' } })).toBe(2);
    expect(JSON.stringify(await db.prisma.auditLog.findMany({ where: { action: { startsWith: 'webhooks.' } } }))).not.toContain('whsec_');
  });
});
