// Node groups and the node page's database-side actions through tRPC as an admin: groups CRUD and
// assignment, a plan bound to a group steering placement (create and evacuation dry run), the
// node list paged by the server, maintenance with a reason, and removal refused while VEs remain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';

let db: TestDatabase;
let admin: ReturnType<typeof createCaller>;

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  const u = await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password: 'correct horse battery', role: 'admin' });
  admin = createCaller(await createInnerContext(db.prisma, { sessionToken: (await createSession(db.prisma, u.id)).token }));
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

describe('node groups', () => {
  it('creates, renames, assigns nodes, and deletes a group only once nothing points at it', async () => {
    const name = uniq('fra1');
    const g = await admin.nodeGroups.create({ name, description: 'Frankfurt, rack 1' });
    expect(g).toMatchObject({ name, description: 'Frankfurt, rack 1', nodeCount: 0, planCount: 0 });
    await expect(admin.nodeGroups.create({ name })).rejects.toMatchObject({ code: 'CONFLICT', message: `A node group named ${name} already exists` });
    await expect(admin.nodeGroups.create({ name: 'bad;name' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    const renamed = await admin.nodeGroups.update({ id: g.id, name: `${name}-renamed` });
    expect(renamed.name).toBe(`${name}-renamed`);

    const [a, b] = [await seedNode(db.prisma), await seedNode(db.prisma)];
    expect(await admin.nodeGroups.assign({ id: g.id, nodeIds: [a.id, b.id] })).toEqual({ updated: 2 });
    expect((await admin.nodes.get({ name: a.name })).nodeGroup).toEqual({ id: g.id, name: `${name}-renamed` });
    await expect(admin.nodeGroups.assign({ id: g.id, nodeIds: ['no-such-node'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const listed = (await admin.nodeGroups.list()).find((x) => x.id === g.id);
    expect(listed?.nodeCount).toBe(2);
    await expect(admin.nodeGroups.remove({ id: g.id })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('2 node(s)') });

    const plan = await admin.plans.create({ name: uniq('p'), ram: 256, diskspace: 1024, ipv4Count: 0, nodeGroupId: g.id });
    expect(plan.nodeGroup).toEqual({ id: g.id, name: `${name}-renamed` });
    await admin.nodeGroups.assign({ id: null, nodeIds: [a.id, b.id] });
    await expect(admin.nodeGroups.remove({ id: g.id })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('1 plan(s)') });
    await admin.plans.update({ id: plan.id, patch: { nodeGroupId: null } });
    expect(await admin.nodeGroups.remove({ id: g.id })).toEqual({ removed: true });
    expect(await db.prisma.nodeGroup.count({ where: { id: g.id } })).toBe(0);
    expect((await db.prisma.node.findUniqueOrThrow({ where: { id: a.id } })).nodeGroupId).toBeNull();
  });

  it("places a VE of a plan bound to a group in that group even when a node outside has more room, and evacuates it within the group", async () => {
    const g = await admin.nodeGroups.create({ name: uniq('ssd') });
    const inside = await seedNode(db.prisma, { name: uniq('in'), ramGiB: 4, nodeGroupId: g.id });
    const inside2 = await seedNode(db.prisma, { name: uniq('in2'), ramGiB: 2, nodeGroupId: g.id });
    const outside = await seedNode(db.prisma, { name: uniq('out'), ramGiB: 64 });
    const tpl = await seedTemplate(db.prisma);
    const plan = await admin.plans.create({ name: uniq('p'), ram: 512, diskspace: 1024, ipv4Count: 0, nodeGroupId: g.id });
    const created = await admin.ves.create({ hostname: 'grp.example.test', planId: plan.id, templateId: tpl.id, password: 'a long root password' });
    expect(created.ve.nodeName).toBe(inside.name);
    // Without a group the roomiest node wins, so the plan's group is what kept it inside.
    const free = await admin.plans.create({ name: uniq('p'), ram: 512, diskspace: 1024, ipv4Count: 0 });
    expect((await admin.ves.create({ hostname: 'free.example.test', planId: free.id, templateId: tpl.id, password: 'a long root password' })).ve.nodeName).toBe(outside.name);

    await db.prisma.ve.update({ where: { id: created.ve.id }, data: { state: 'running' } });
    const dry = await admin.nodes.evacuate({ nodeId: inside.id, dryRun: true });
    expect(dry.taskId).toBeNull();
    expect(dry.items).toHaveLength(1);
    expect(dry.items[0]).toMatchObject({ ctid: created.ve.ctid, status: 'pending', target: { id: inside2.id, name: inside2.name } });
    expect(dry.items[0].why).toMatch(/^most room left: \d+ MiB RAM and \d+ MiB disk free after the move/);
    expect(dry.items[0].why).toContain(`${outside.name} (not in node group ${g.name} (the VE's plan))`);
  });
});

describe('node page actions', () => {
  it('pages the node list on the server with search and filters', async () => {
    const tag = uniq('pg');
    for (let i = 0; i < 5; i++) await seedNode(db.prisma, { name: `${tag}-${i}`, state: i === 4 ? 'offline' : 'online' });
    const p1 = await admin.nodes.page({ q: tag, page: 1, pageSize: 2 });
    expect(p1.total).toBe(5);
    expect(p1.items.map((n) => n.name)).toEqual([`${tag}-0`, `${tag}-1`]);
    const p3 = await admin.nodes.page({ q: tag, page: 3, pageSize: 2 });
    expect(p3.items.map((n) => n.name)).toEqual([`${tag}-4`]);
    expect((await admin.nodes.page({ q: tag, state: 'offline', page: 1, pageSize: 50 })).items.map((n) => n.name)).toEqual([`${tag}-4`]);
    expect(p1.items[0]).toMatchObject({ veCount: 0 });
  });

  it('keeps the maintenance reason while on, says why the node takes no VEs, and clears the reason when off', async () => {
    const n = await seedNode(db.prisma);
    const on = await admin.nodes.setMaintenance({ nodeId: n.id, maintenance: true, reason: 'RAM swap, ticket 4711' });
    expect(on).toMatchObject({ maintenance: true, maintenanceReason: 'RAM swap, ticket 4711' });
    expect(on.capabilityReport.find((c) => c.key === 'placement')).toMatchObject({ on: false, detail: 'in maintenance: RAM swap, ticket 4711' });
    const off = await admin.nodes.setMaintenance({ nodeId: n.id, maintenance: false });
    expect(off).toMatchObject({ maintenance: false, maintenanceReason: null });
    expect(off.capabilityReport.find((c) => c.key === 'placement')?.on).toBe(true);
  });

  it("shows an evacuation per VE: each one's own migration status, progress, target and pause, and the VEs not started yet", async () => {
    const [src, dst] = [await seedNode(db.prisma), await seedNode(db.prisma)];
    const tpl = await seedTemplate(db.prisma);
    const [a, b, c] = await Promise.all([25_201, 25_202, 25_203].map((ctid) => db.prisma.ve.create({ data: { ctid, hostname: `e${ctid}.example.test`, nodeId: src.id, templateId: tpl.id, state: 'running' } })));
    const evac = await db.prisma.task.create({ data: { type: 'node.evacuate', nodeId: src.id, status: 'running', progress: 33, params: { veIds: [a.id, b.id, c.id], concurrency: 2 } } });
    const mig = (ve: { id: string; ctid: number }, data: object) => db.prisma.task.create({
      data: { type: 've.migrate', veId: ve.id, ctid: ve.ctid, nodeId: src.id, params: { evacuateTaskId: evac.id, targetNodeId: dst.id, sourceNodeId: src.id, prevState: 'running' }, ...data },
    });
    await mig(a, { status: 'succeeded', progress: 100, result: { mode: 'two-pass', pauseMs: 840 } });
    await mig(b, { status: 'running', progress: 40, message: 'sync pass 1' });
    const live = await admin.nodes.evacuation({ taskId: evac.id });
    expect(live).toMatchObject({ task: { status: 'running', progress: 33 }, node: { id: src.id }, concurrency: 2 });
    expect(live.rows.map((r) => [r.ctid, r.status, r.progress, r.target?.name ?? null, r.mode, r.pauseMs, r.message])).toEqual([
      [25_201, 'succeeded', 100, dst.name, 'two-pass', 840, null],
      [25_202, 'running', 40, dst.name, null, null, 'sync pass 1'],
      [25_203, 'pending', 0, null, null, null, null],
    ]);
    // After the task: a VE it never started shows as skipped with the reason from its report.
    await db.prisma.task.update({ where: { id: evac.id }, data: { status: 'failed', result: { items: [{ veId: c.id, status: 'skipped', reason: 'No other node can take VE 25203' }] } } });
    expect((await admin.nodes.evacuation({ taskId: evac.id })).rows[2]).toMatchObject({ status: 'skipped', reason: 'No other node can take VE 25203' });
    await expect(admin.nodes.evacuation({ taskId: (await db.prisma.task.create({ data: { type: 've.start' } })).id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses to remove a node while VEs remain, naming them, and removes it once empty', async () => {
    const n = await seedNode(db.prisma);
    const tpl = await seedTemplate(db.prisma);
    const ves = [];
    for (const ctid of [25_101, 25_102]) ves.push(await db.prisma.ve.create({ data: { ctid, hostname: `h${ctid}.example.test`, nodeId: n.id, templateId: tpl.id, state: 'stopped' } }));
    await expect(admin.nodes.remove({ nodeId: n.id })).rejects.toMatchObject({
      code: 'CONFLICT', message: `Node ${n.name} still holds 2 VE(s): 25101 (h25101.example.test), 25102 (h25102.example.test); evacuate or destroy them first`,
    });
    expect(await db.prisma.node.count({ where: { id: n.id } })).toBe(1);
    await db.prisma.ve.deleteMany({ where: { id: { in: ves.map((v) => v.id) } } });
    expect(await admin.nodes.remove({ nodeId: n.id })).toEqual({ removed: true, taskId: null });
    expect(await db.prisma.node.count({ where: { id: n.id } })).toBe(0);
  });
});
