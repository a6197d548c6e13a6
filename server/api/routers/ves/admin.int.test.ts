import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { SESSION_COOKIE } from '@/server/services/auth/sessions';

let db: TestDatabase;
const password = 'correct horse battery';

async function signedIn(email: string) {
  const ctx = await createInnerContext(db.prisma, {});
  await createCaller(ctx).auth.login({ email, password });
  const c = ctx.cookies.find((x) => x.startsWith(`${SESSION_COOKIE}=`))!;
  const token = decodeURIComponent(c.slice(SESSION_COOKIE.length + 1).split(';')[0]);
  return createCaller(await createInnerContext(db.prisma, { sessionToken: token }));
}

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
});
afterAll(async () => db?.drop());

describe('admin plans, IP pools and VEs over tRPC', () => {
  it('an admin creates a plan, a pool and a VE, then finds it in the VE table; a customer is refused', async () => {
    await createUser(db.prisma, { email: 'root@example.test', password, role: 'admin' });
    await createUser(db.prisma, { email: 'cust@example.test', password, role: 'customer' });
    const admin = await signedIn('root@example.test');
    const node = await seedNode(db.prisma);
    const template = await seedTemplate(db.prisma);
    const plan = await admin.plans.create({ name: uniq('plan'), ram: 512, diskspace: 4096, templateIds: [template.id] });
    expect(plan).toMatchObject({ ram: 512, swap: 0, cpuunits: 1000, templates: [{ id: template.id }], veCount: 0 });
    await expect(admin.plans.create({ name: uniq('bad'), ram: 512, diskspace: 4096, cpuunits: 7 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const patched = await admin.plans.update({ id: plan.id, patch: { ram: 1024 } });
    expect(patched).toMatchObject({ ram: 1024, cpuunits: 1000 });
    const pool = await admin.ipPools.create({ name: uniq('pool'), cidr: '10.199.90.0/29', gateway: '10.199.90.1', nameservers: ['10.199.90.53'], nodeIds: [node.id] });
    expect(pool.usage).toEqual({ total: 6, used: 0, reserved: 1, free: 5 });
    const created = await admin.ves.create({ hostname: 'Api.Example.Test', planId: plan.id, templateId: template.id, password: 'long enough pw' });
    expect(created).toMatchObject({ ve: { ctid: 101, hostname: 'api.example.test', state: 'creating', nodeId: node.id }, addresses: [{ address: '10.199.90.2', prefix: 29, gateway: '10.199.90.1' }] });
    const list = await admin.ves.list({ q: '10.199.90.2' });
    expect(list.items.map((v) => v.id)).toEqual([created.ve.id]);
    const got = await admin.ves.get({ id: created.ve.id });
    expect(got).toMatchObject({ limits: { ram: 1024 }, overrides: {}, addresses: [{ address: '10.199.90.2', nameservers: ['10.199.90.53'] }] });
    const poolAfter = await admin.ipPools.get({ id: pool.id, limit: 2 });
    expect(poolAfter.addresses).toEqual([{ address: '10.199.90.1', reserved: true, ve: null }, { address: '10.199.90.2', reserved: false, ve: { id: created.ve.id, ctid: 101, hostname: 'api.example.test' } }]);
    await expect(admin.ves.get({ id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const customer = await signedIn('cust@example.test');
    await expect(customer.ves.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(customer.plans.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
