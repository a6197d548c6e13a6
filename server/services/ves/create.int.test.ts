import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, seedUser, uniq } from '@/test/fixtures/panel';
import { AppError } from '@/server/errors';
import { createPlan, type PlanView } from '@/server/services/plans';
import { createPool } from '@/server/services/ippools';
import { completeVeDestroy, requestChangePlan, requestCreateVe, requestDestroyVe, getVe, listVes, ownerScope, type Actor } from '.';

let db: TestDatabase;
let plan: PlanView;
let template: { id: string; name: string };
const admin: Actor = { role: 'admin' };
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@test';

const jobs = async () => Number((await db.prisma.$queryRaw<[{ n: bigint }]>`SELECT count(*) AS n FROM graphile_worker.jobs`)[0].n);

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 20 });
  await runMigrations({ connectionString: db.url });
  template = await seedTemplate(db.prisma);
  plan = await createPlan(db.prisma, { name: uniq('small'), ram: 256, diskspace: 2048, ipv4Count: 1 });
});
afterAll(async () => db?.drop());

describe('creating VEs against one small pool', () => {
  it('50 parallel creates on a /28 never share an address; the rest fail with CAPACITY and leave nothing behind', async () => {
    const node = await seedNode(db.prisma, { ramGiB: 64, diskGiB: 2000 });
    const pool = await createPool(db.prisma, { name: uniq('pool28'), cidr: '10.199.40.0/28', gateway: '10.199.40.1', nodeIds: [node.id] });
    const [vesBefore, tasksBefore, jobsBefore] = [await db.prisma.ve.count(), await db.prisma.task.count(), await jobs()];
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        requestCreateVe(db.prisma, admin, { hostname: `par${i}.example.test`, planId: plan.id, templateId: template.id, password: 'correct horse 1', nodeId: node.id }),
      ),
    );
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    // A /28 has 14 hosts; the gateway is held back, so 13 VEs get an address.
    expect(ok).toHaveLength(13);
    const addrs = ok.map((r) => r.addresses[0].address);
    expect(new Set(addrs).size).toBe(13);
    expect(new Set(ok.map((r) => r.ve.ctid)).size).toBe(13);
    for (const e of failed) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('CAPACITY');
      expect((e as AppError).message).toBe(`IP pool ${pool.name} has no free IPv4 address`);
    }
    expect(await db.prisma.ve.count()).toBe(vesBefore + 13);
    expect(await db.prisma.task.count()).toBe(tasksBefore + 13);
    expect(await jobs()).toBe(jobsBefore + 13);
    const bound = await db.prisma.ipAddress.findMany({ where: { poolId: pool.id, veId: { not: null } } });
    expect(bound).toHaveLength(13);
    expect(bound.map((a) => a.address)).not.toContain('10.199.40.1');
    // The task carries what the node needs, and the password only as a crypt hash.
    const task = await db.prisma.task.findUniqueOrThrow({ where: { id: ok[0].taskId } });
    expect(task).toMatchObject({ type: 've.create', veId: ok[0].ve.id, ctid: ok[0].ve.ctid, nodeId: node.id, status: 'queued' });
    const params = task.params as Record<string, unknown>;
    expect(params.rootPasswordHash).toMatch(/^\$6\$/);
    expect(JSON.stringify(params)).not.toContain('correct horse');
    expect(params.addresses).toEqual([{ address: ok[0].addresses[0].address, family: 4, prefix: 28, gateway: '10.199.40.1' }]);
  });

  it('destroy frees the addresses for the next create', async () => {
    const node = await seedNode(db.prisma);
    const pool = await createPool(db.prisma, { name: uniq('pool30'), cidr: '10.199.41.0/30', nodeIds: [node.id] });
    const first = await requestCreateVe(db.prisma, admin, { hostname: 'one.example.test', planId: plan.id, template: template.name, sshKeys: [KEY], nodeId: node.id });
    await expect(requestCreateVe(db.prisma, admin, { hostname: 'two.example.test', planId: plan.id, templateId: template.id, sshKeys: [KEY], nodeId: node.id, ipv4Count: 2 }))
      .rejects.toMatchObject({ code: 'CAPACITY', message: `IP pool ${pool.name}: 2 IPv4 addresses needed, 1 free` });
    const { taskId } = await requestDestroyVe(db.prisma, admin, first.ve.id);
    expect(await db.prisma.task.findUniqueOrThrow({ where: { id: taskId } })).toMatchObject({ type: 've.destroy', ctid: first.ve.ctid });
    expect((await getVe(db.prisma, first.ve.id)).state).toBe('destroying');
    // Addresses stay bound until the node confirms the container is gone.
    expect(await db.prisma.ipAddress.count({ where: { veId: first.ve.id } })).toBe(1);
    expect(await completeVeDestroy(db.prisma, first.ve.id)).toEqual({ releasedAddresses: 1 });
    expect(await db.prisma.ipAddress.count({ where: { poolId: pool.id, veId: { not: null } } })).toBe(0);
    const again = await requestCreateVe(db.prisma, admin, { hostname: 'three.example.test', planId: plan.id, templateId: template.id, sshKeys: [KEY], nodeId: node.id, ipv4Count: 2 });
    expect(again.addresses.map((a) => a.address)).toEqual(['10.199.41.1', '10.199.41.2']);
    expect(again.ve.ctid).toBeGreaterThan(first.ve.ctid); // CTIDs are never handed out twice
  });

  it('validates input before anything is written', async () => {
    const before = await db.prisma.ve.count();
    const base = { hostname: 'ok.example.test', planId: plan.id, templateId: template.id, password: 'long enough pw' };
    const bad = async (patch: Record<string, unknown>, field: string) =>
      expect(requestCreateVe(db.prisma, admin, { ...base, ...patch } as never)).rejects.toMatchObject({ code: 'BAD_INPUT', data: { field } });
    await bad({ hostname: '-rf.example' }, 'hostname');
    await bad({ hostname: 'a;reboot' }, 'hostname');
    await bad({ password: undefined }, 'password');
    await bad({ password: 'x\ny-12345678' }, 'password');
    await bad({ password: undefined, sshKeys: ['ssh-ed25519 AAAA; rm -rf /'] }, 'sshKeys.0');
    await bad({ ctid: 100 }, 'ctid');
    await bad({ overrides: { cpuunits: 600000 } }, 'overrides.cpuunits');
    await bad({ templateId: 'nope' }, 'templateId');
    const counter = await db.prisma.setting.findUnique({ where: { key: 've.nextCtid' } });
    await bad({ nodeId: 'no-such-node' }, 'nodeId');
    // Found inside the create's transaction: rolled back, the CTID counter did not move.
    expect(await db.prisma.setting.findUnique({ where: { key: 've.nextCtid' } })).toEqual(counter);
    await expect(requestCreateVe(db.prisma, { role: 'customer', userId: 'x' }, base)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const other = await seedTemplate(db.prisma);
    const strict = await createPlan(db.prisma, { name: uniq('strict'), ram: 256, diskspace: 2048, templateIds: [template.id] });
    await expect(requestCreateVe(db.prisma, admin, { ...base, planId: strict.id, templateId: other.id })).rejects.toMatchObject({ code: 'UNPROCESSABLE', message: expect.stringMatching(/does not allow template/) });
    expect(await db.prisma.ve.count()).toBe(before);
  });

  it('parallel creates past explicit CTIDs ahead of the counter get distinct free CTIDs, in order', async () => {
    const node = await seedNode(db.prisma, { ramGiB: 64, diskGiB: 2000 });
    await createPool(db.prisma, { name: uniq('pctid'), cidr: '10.199.48.0/27', nodeIds: [node.id] });
    const base = { planId: plan.id, templateId: template.id, password: 'long enough pw', nodeId: node.id };
    await db.prisma.setting.update({ where: { key: 've.nextCtid' }, data: { value: 7000 } });
    for (const ctid of [7001, 7002, 7005]) await requestCreateVe(db.prisma, admin, { ...base, hostname: `x${ctid}.example.test`, ctid });
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => requestCreateVe(db.prisma, admin, { ...base, hostname: `pc${i}.example.test` })));
    const ctids = made.map((r) => r.ve.ctid).sort((a, b) => a - b);
    expect(ctids).toEqual([7000, 7003, 7004, 7006, 7007, 7008, 7009, 7010, 7011, 7012, 7013, 7014]);
    expect((await db.prisma.setting.findUniqueOrThrow({ where: { key: 've.nextCtid' } })).value).toBe(7015);
  });

  it('a VE gets the newest version of its template, by id or by name; a plan limited to other templates refuses it', async () => {
    const node = await seedNode(db.prisma);
    await createPool(db.prisma, { name: uniq('pver'), cidr: '10.199.49.0/29', nodeIds: [node.id] });
    const t = await seedTemplate(db.prisma);
    const version = (number: number, cacheName: string) => ({ templateId: t.id, number, cacheName, os: 'tiny', osVersion: String(number), sizeBytes: 1n, sha256: '0'.repeat(64), source: 'upload' });
    await db.prisma.templateVersion.createMany({ data: [version(1, t.name), version(3, `${t.name}.v3`), version(2, `${t.name}.v2`)] });
    const base = { planId: plan.id, password: 'long enough pw', nodeId: node.id };
    for (const ref of [{ templateId: t.id }, { template: t.name }]) {
      const r = await requestCreateVe(db.prisma, admin, { ...base, ...ref, hostname: `${uniq('ver')}.example.test` });
      expect(await db.prisma.ve.findUniqueOrThrow({ where: { id: r.ve.id } })).toMatchObject({ templateId: t.id, templateVersion: 3 });
      expect((await db.prisma.task.findUniqueOrThrow({ where: { id: r.taskId } })).params).toMatchObject({ template: `${t.name}.v3` });
    }
    const other = await createPlan(db.prisma, { name: uniq('only'), ram: 256, diskspace: 2048, templateIds: [template.id, t.id] });
    expect((await requestCreateVe(db.prisma, admin, { ...base, planId: other.id, templateId: t.id, hostname: 'allowed.example.test' })).ve.ctid).toBeGreaterThan(0);
    const strict = await createPlan(db.prisma, { name: uniq('strict'), ram: 256, diskspace: 2048, templateIds: [template.id] });
    await expect(requestCreateVe(db.prisma, admin, { ...base, planId: strict.id, template: t.name, hostname: 'no.example.test' }))
      .rejects.toMatchObject({ code: 'UNPROCESSABLE', message: `Plan ${strict.name} does not allow template ${t.name}`, data: { field: 'template' } });
    await expect(requestCreateVe(db.prisma, admin, { ...base, template: 'no-such-template', hostname: 'no.example.test' })).rejects.toMatchObject({ code: 'BAD_INPUT', data: { field: 'template' } });
  });

  it('an explicit CTID is used once; a taken one is a CONFLICT', async () => {
    const node = await seedNode(db.prisma);
    await createPool(db.prisma, { name: uniq('p'), cidr: '10.199.42.0/29', nodeIds: [node.id] });
    const r = await requestCreateVe(db.prisma, admin, { hostname: 'c.example.test', planId: plan.id, templateId: template.id, password: 'long enough pw', nodeId: node.id, ctid: 5000 });
    expect(r.ve.ctid).toBe(5000);
    await expect(requestCreateVe(db.prisma, admin, { hostname: 'd.example.test', planId: plan.id, templateId: template.id, password: 'long enough pw', nodeId: node.id, ctid: 5000 }))
      .rejects.toMatchObject({ code: 'CONFLICT', message: 'CTID 5000 is already in use' });
    const svc = { hostname: 'e.example.test', planId: plan.id, templateId: template.id, password: 'long enough pw', nodeId: node.id, externalId: uniq('svc') };
    await requestCreateVe(db.prisma, admin, svc);
    const before = await db.prisma.ipAddress.count({ where: { veId: { not: null } } });
    await expect(requestCreateVe(db.prisma, admin, svc)).rejects.toMatchObject({ code: 'CONFLICT', message: `A VE with external id ${svc.externalId} already exists` });
    expect(await db.prisma.ipAddress.count({ where: { veId: { not: null } } })).toBe(before);
  });
});

describe('plan change and owner scoping', () => {
  it('a plan change keeps paid overrides, applies the rest live, refuses a disk shrink while running', async () => {
    const node = await seedNode(db.prisma);
    await createPool(db.prisma, { name: uniq('p'), cidr: '10.199.43.0/29', nodeIds: [node.id] });
    const big = await createPlan(db.prisma, { name: uniq('big'), ram: 1024, diskspace: 8192, cpus: 2 });
    const r = await requestCreateVe(db.prisma, admin, { hostname: 'pc.example.test', planId: plan.id, templateId: template.id, password: 'long enough pw', nodeId: node.id, overrides: { bandwidth: 1000 } });
    const up = await requestChangePlan(db.prisma, admin, r.ve.id, { planId: big.id }).catch((e) => e);
    expect(up).toMatchObject({ code: 'BUSY' }); // still creating
    await db.prisma.ve.update({ where: { id: r.ve.id }, data: { state: 'running' } });
    const res = await requestChangePlan(db.prisma, admin, r.ve.id, { planId: big.id });
    expect(res.overrides).toEqual({ bandwidth: 1000 });
    expect(res.limits).toMatchObject({ ram: 1024, diskspace: 8192, bandwidth: 1000, cpus: 2 });
    // The seeded node never said (hello) that it grows a mounted disk: the grow waits for a restart, and the answer says so.
    expect(res.needsRestart).toEqual(['diskspace']);
    const task = await db.prisma.task.findUniqueOrThrow({ where: { id: res.taskId! } });
    expect(task.type).toBe('ve.set');
    expect(task.params).toMatchObject({ limits: { ram: 1024, diskspace: 8192, cpus: 2 }, planId: big.id, overrides: { bandwidth: 1000 } });
    // The row changes when the node confirms, not before: here no node has run the task yet.
    expect(await getVe(db.prisma, r.ve.id)).toMatchObject({ plan: { id: plan.id }, limits: expect.objectContaining({ ram: plan.ram }) });
    await expect(requestChangePlan(db.prisma, admin, r.ve.id, { planId: big.id })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/not applied yet/) });
    // As the ve.set task does once the node has applied it.
    await db.prisma.task.update({ where: { id: task.id }, data: { status: 'succeeded', finishedAt: new Date() } });
    await db.prisma.ve.update({ where: { id: r.ve.id }, data: { planId: big.id, overrides: res.overrides, limits: res.limits } });
    await expect(requestChangePlan(db.prisma, admin, r.ve.id, { planId: plan.id })).rejects.toMatchObject({
      code: 'UNPROCESSABLE',
      message: expect.stringMatching(/diskspace shrink from 8192 to 2048 is refused while VE \d+ is running/),
    });
    expect((await getVe(db.prisma, r.ve.id)).plan?.id).toBe(big.id);
    const dropped = await requestChangePlan(db.prisma, admin, r.ve.id, { planId: big.id, overrides: { bandwidth: null } });
    expect(dropped.overrides).toEqual({});
    expect(dropped.changes).toEqual([{ field: 'bandwidth', from: 1000, to: 0 }]);
  });

  it("another customer's VE answers exactly like a missing one", async () => {
    const [a, b] = [await seedUser(db.prisma), await seedUser(db.prisma)];
    const node = await seedNode(db.prisma);
    await createPool(db.prisma, { name: uniq('p'), cidr: '10.199.44.0/29', nodeIds: [node.id] });
    const r = await requestCreateVe(db.prisma, admin, { hostname: 'mine.example.test', planId: plan.id, templateId: template.id, password: 'long enough pw', nodeId: node.id, ownerId: a.id });
    expect((await getVe(db.prisma, r.ve.id, ownerScope(a))).hostname).toBe('mine.example.test');
    const theirs = await getVe(db.prisma, r.ve.id, ownerScope(b)).catch((e) => e);
    const missing = await getVe(db.prisma, '00000000-0000-0000-0000-000000000000', ownerScope(b)).catch((e) => e);
    expect(theirs).toBeInstanceOf(AppError);
    expect({ code: theirs.code, message: theirs.message, data: theirs.data }).toEqual({ code: missing.code, message: missing.message, data: missing.data });
    expect(theirs.code).toBe('NOT_FOUND');
    await expect(requestDestroyVe(db.prisma, { role: 'customer', userId: b.id }, r.ve.id)).rejects.toMatchObject({ code: 'NOT_FOUND', message: missing.message });
    await expect(requestChangePlan(db.prisma, { role: 'customer', userId: b.id }, r.ve.id, { planId: plan.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await getVe(db.prisma, r.ve.id)).state).toBe('creating');
    const listB = await listVes(db.prisma, { q: 'mine' }, ownerScope(b));
    expect(listB.total).toBe(0);
    const listA = await listVes(db.prisma, { q: 'mine' }, ownerScope(a));
    expect(listA.items.map((v) => v.id)).toEqual([r.ve.id]);
    expect(() => ownerScope({ id: '' })).toThrow();
  });
});
