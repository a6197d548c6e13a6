// Admin VE actions, customer accounts and the portal over tRPC (real Postgres + queue tables; no worker):
// what is queued, what is refused and why, and that secrets never land in clear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';
import { createPlan } from '@/server/services/plans';

let db: TestDatabase;
let adminId: string;

async function as(userId: string) {
  const { token } = await createSession(db.prisma, userId);
  return createCaller(await createInnerContext(db.prisma, { sessionToken: token }));
}

async function seedVe(ownerId: string | null, opts: { maintenance?: boolean; state?: 'running' | 'stopped' | 'suspended' } = {}) {
  const node = await seedNode(db.prisma, { maintenance: opts.maintenance });
  const template = await seedTemplate(db.prisma);
  const plan = await createPlan(db.prisma, { name: uniq('plan'), ram: 256, diskspace: 1024, templateIds: [template.id] });
  const ctid = 5000 + Math.floor(Math.random() * 100_000);
  const ve = await db.prisma.ve.create({
    data: { ctid, hostname: `${uniq('h')}.example.test`, nodeId: node.id, planId: plan.id, templateId: template.id, ownerId, state: opts.state ?? 'running', limits: { ...plan, id: undefined } as never },
  });
  return { ve, template, plan };
}

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  adminId = (await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password: 'correct horse battery', role: 'admin' })).id;
}, 60_000);
afterAll(async () => db?.drop());

describe('customers', () => {
  it('an admin creates a customer with a generated password shown once; disabling ends their sessions', async () => {
    const admin = await as(adminId);
    const r = await admin.customers.create({ email: `${uniq('C')}@Example.test`, name: 'Carla' });
    expect(r.password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(r.customer).toMatchObject({ name: 'Carla', disabled: false, veCount: 0 });
    const row = await db.prisma.user.findUniqueOrThrow({ where: { id: r.customer.id } });
    expect(row.passwordHash).not.toContain(r.password!);
    const login = createCaller(await createInnerContext(db.prisma, {}));
    await expect(login.auth.login({ email: r.customer.email, password: r.password! })).resolves.toEqual({ ok: true });
    await expect(admin.customers.create({ email: r.customer.email })).rejects.toMatchObject({ code: 'CONFLICT' });

    const { token } = await createSession(db.prisma, r.customer.id);
    await admin.customers.setDisabled({ id: r.customer.id, disabled: true });
    expect(await db.prisma.session.count({ where: { userId: r.customer.id } })).toBe(0);
    const carla = createCaller(await createInnerContext(db.prisma, { sessionToken: token }));
    await expect(carla.portal.myVes({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const reset = await admin.customers.resetPassword({ id: r.customer.id });
    expect(reset.password).toHaveLength(20);
    // An admin is not a customer: the customer tools do not touch admins.
    await expect(admin.customers.get({ id: adminId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('admin VE actions', () => {
  it('power, hostname, password, limits, reinstall and destroy queue one task each with plain refusals', async () => {
    const admin = await as(adminId);
    const { ve, template } = await seedVe(null);
    const start = admin.ves.power({ id: ve.id, action: 'start' });
    await expect(start).rejects.toMatchObject({ code: 'UNPROCESSABLE_CONTENT', message: `Cannot start VE ${ve.ctid}: it is running` });
    const { taskId } = await admin.ves.power({ id: ve.id, action: 'restart' });
    expect(await db.prisma.task.findUniqueOrThrow({ where: { id: taskId } })).toMatchObject({ type: 've.restart', veId: ve.id, ctid: ve.ctid, userId: adminId });

    const pw = await admin.ves.setPassword({ id: ve.id, password: 'new root password' });
    const task = await db.prisma.task.findUniqueOrThrow({ where: { id: pw.taskId } });
    expect(JSON.stringify(task.params)).not.toContain('new root password');
    expect((task.params as { passwordHash: string }).passwordHash).toMatch(/^\$6\$/);
    expect((await admin.tasks.get({ id: pw.taskId })).params).toMatchObject({ passwordHash: '[redacted]' });
    await expect(admin.ves.setHostname({ id: ve.id, hostname: 'bad;rm -rf /' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    const lim = await admin.ves.setLimits({ id: ve.id, overrides: { ram: 384 } });
    expect(lim).toMatchObject({ changes: [{ field: 'ram', from: 256, to: 384 }], needsRestart: [], overrides: { ram: 384 } });
    await expect(admin.ves.setLimits({ id: ve.id, overrides: { diskspace: 512 } })).rejects.toMatchObject({ code: 'UNPROCESSABLE_CONTENT' });

    await expect(admin.ves.destroy({ id: ve.id, confirm: String(ve.ctid + 1) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.id } })).toMatchObject({ state: 'running' });
    const re = await admin.ves.reinstall({ id: ve.id, templateId: template.id });
    expect(await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.id } })).toMatchObject({ state: 'reinstalling' });
    expect(await db.prisma.task.findUniqueOrThrow({ where: { id: re.taskId } })).toMatchObject({ type: 've.reinstall', params: { template: template.name, previousState: 'running' } });
    // While it reinstalls, nothing else is queued on it.
    await expect(admin.ves.power({ id: ve.id, action: 'stop' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const stats = await admin.ves.stats();
    expect(stats.byState.reinstalling).toBeGreaterThanOrEqual(1);
  });
});

describe('portal', () => {
  it("a customer acts on their own VE only; maintenance pauses their actions; suspended VEs cannot be started", async () => {
    const alice = await createUser(db.prisma, { email: `${uniq('alice')}@example.test` });
    const { ve, template } = await seedVe(alice.id);
    const { ve: paused } = await seedVe(alice.id, { maintenance: true });
    const { ve: susp } = await seedVe(alice.id, { state: 'suspended' });
    const { ve: other } = await seedVe(null);
    const me = await as(alice.id);

    const mine = await me.portal.myVes({});
    expect(mine.items.map((v) => v.id).sort()).toEqual([ve.id, paused.id, susp.id].sort());
    const got = await me.portal.ve({ id: ve.id });
    expect(got).toMatchObject({ ctid: ve.ctid, maintenance: false, templates: [{ id: template.id }] });
    expect(got).not.toHaveProperty('owner');

    const { taskId } = await me.portal.power({ id: ve.id, action: 'restart' });
    expect((await me.portal.tasks({ veId: ve.id })).items.map((t) => t.id)).toEqual([taskId]);
    await expect(me.portal.power({ id: paused.id, action: 'restart' })).rejects.toMatchObject({ code: 'UNPROCESSABLE_CONTENT', message: expect.stringContaining('maintenance') });
    await expect(me.portal.power({ id: susp.id, action: 'start' })).rejects.toMatchObject({ code: 'UNPROCESSABLE_CONTENT', message: expect.stringContaining('suspended') });
    await expect(me.portal.power({ id: other.id, action: 'restart' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'VE not found' });
    // Kill is an admin tool, not in the customer's schema at all.
    await expect(me.portal.power({ id: ve.id, action: 'kill' as 'stop' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await db.prisma.task.count({ where: { veId: { in: [paused.id, susp.id, other.id] } } })).toBe(0);
  });
});
