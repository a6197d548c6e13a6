import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { AppError } from '@/server/errors';
import { chooseNode, nodeCapacities } from '.';

let db: TestDatabase;
let templateId: string;
let nextCtid = 30_000;

beforeAll(async () => {
  db = await createTestDatabase();
  templateId = (await seedTemplate(db.prisma)).id;
});
afterAll(async () => db?.drop());

const fill = (nodeId: string, ram: number, diskspace: number) =>
  db.prisma.ve.create({ data: { ctid: nextCtid++, hostname: 'fill.test', nodeId, templateId, state: 'running', limits: { ram, diskspace } } });

describe('placement', () => {
  it('picks the node with the most room, skipping maintenance, offline and host-key-mismatch nodes', async () => {
    const g = await db.prisma.nodeGroup.create({ data: { name: uniq('g') } });
    const a = await seedNode(db.prisma, { name: uniq('a'), nodeGroupId: g.id, ramGiB: 8 });
    const b = await seedNode(db.prisma, { name: uniq('b'), nodeGroupId: g.id, ramGiB: 16 });
    await seedNode(db.prisma, { name: uniq('c-maint'), nodeGroupId: g.id, ramGiB: 64, maintenance: true });
    await seedNode(db.prisma, { name: uniq('d-off'), nodeGroupId: g.id, ramGiB: 64, state: 'offline', stateReason: 'no heartbeat for 20 s' });
    await seedNode(db.prisma, { name: uniq('e-key'), nodeGroupId: g.id, ramGiB: 64, hostKeyMismatch: true });
    await seedNode(db.prisma, { name: uniq('elsewhere'), ramGiB: 128 }); // other group: never considered
    const p = await chooseNode(db.prisma, { nodeGroupId: g.id, ram: 1024, diskspace: 10240 });
    expect(p.node.id).toBe(b.id);
    expect(p.skipped.map((s) => s.reason)).toEqual([
      'in maintenance',
      'offline (no heartbeat for 20 s)',
      'host key mismatch: connections refused until an admin accepts the new key',
    ]);
    // VEs already on b count against it: 12 GiB committed leaves 4 GiB, less than a's 8.
    await fill(b.id, 12 * 1024, 10240);
    expect((await chooseNode(db.prisma, { nodeGroupId: g.id, ram: 1024, diskspace: 10240 })).node.id).toBe(a.id);
    // Overcommit makes room: b at 2x has 32 GiB, 20 GiB free.
    await db.prisma.node.update({ where: { id: b.id }, data: { overcommitRam: 2 } });
    expect((await chooseNode(db.prisma, { nodeGroupId: g.id, ram: 1024, diskspace: 10240 })).node.id).toBe(b.id);
  });

  it('fails at once with the reason for every node when nothing fits', async () => {
    const g = await db.prisma.nodeGroup.create({ data: { name: uniq('g') } });
    const small = await seedNode(db.prisma, { name: uniq('small'), nodeGroupId: g.id, ramGiB: 2, diskGiB: 100 });
    const full = await seedNode(db.prisma, { name: uniq('full'), nodeGroupId: g.id, ramGiB: 64, diskGiB: 20 });
    await fill(full.id, 1024, 15 * 1024);
    const m = await seedNode(db.prisma, { name: uniq('maint'), nodeGroupId: g.id, maintenance: true });
    const t0 = Date.now();
    const e = (await chooseNode(db.prisma, { nodeGroupId: g.id, ram: 4096, diskspace: 10240 }).catch((x) => x)) as AppError;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('CAPACITY');
    expect(e.message).toBe(
      `No node can take a VE with 4096 MiB RAM and 10240 MiB disk: ${full.name}: needs 10240 MiB disk, 5120 MiB free of 20480; ${m.name}: in maintenance; ${small.name}: needs 4096 MiB RAM, 2048 MiB free of 2048`,
    );
    expect(e.data?.skipped).toHaveLength(3);
    const empty = await db.prisma.nodeGroup.create({ data: { name: uniq('empty') } });
    await expect(chooseNode(db.prisma, { nodeGroupId: empty.id, ram: 1, diskspace: 1 })).rejects.toMatchObject({ code: 'CAPACITY', message: 'The node group has no nodes' });
  });

  it('prefers a node whose pools still have addresses', async () => {
    const g = await db.prisma.nodeGroup.create({ data: { name: uniq('g') } });
    const roomy = await seedNode(db.prisma, { name: uniq('roomy'), nodeGroupId: g.id, ramGiB: 64 });
    const tight = await seedNode(db.prisma, { name: uniq('tight'), nodeGroupId: g.id, ramGiB: 8 });
    const { createPool } = await import('@/server/services/ippools');
    await createPool(db.prisma, { name: uniq('p'), cidr: '10.199.70.0/29', nodeIds: [tight.id] });
    const p = await chooseNode(db.prisma, { nodeGroupId: g.id, ram: 512, diskspace: 1024, ipv4: 1 });
    expect(p.node.id).toBe(tight.id);
    expect(roomy.id).not.toBe(tight.id);
  });

  it('prefers a node whose cache of the template is ready over one with more room; room decides among equals', async () => {
    const g = await db.prisma.nodeGroup.create({ data: { name: uniq('g') } });
    const holder = await seedNode(db.prisma, { name: uniq('holder'), nodeGroupId: g.id, ramGiB: 8 });
    const roomy = await seedNode(db.prisma, { name: uniq('roomy'), nodeGroupId: g.id, ramGiB: 32 });
    const req = { nodeGroupId: g.id, ram: 1024, diskspace: 1024, templateId };
    // No cache anywhere: room decides.
    expect((await chooseNode(db.prisma, req)).node.id).toBe(roomy.id);
    await db.prisma.templateCache.create({ data: { templateId, nodeId: holder.id, state: 'ready' } });
    await db.prisma.templateCache.create({ data: { templateId, nodeId: roomy.id, state: 'failed', error: 'node offline' } });
    expect((await chooseNode(db.prisma, req)).node.id).toBe(holder.id);
    // Without a template the cache plays no part.
    expect((await chooseNode(db.prisma, { ...req, templateId: undefined })).node.id).toBe(roomy.id);
    // Both ready: room decides again.
    await db.prisma.templateCache.updateMany({ where: { templateId, nodeId: roomy.id }, data: { state: 'ready', error: null } });
    expect((await chooseNode(db.prisma, req)).node.id).toBe(roomy.id);
    // A ready node that cannot take the VE is still skipped.
    await db.prisma.templateCache.updateMany({ where: { templateId, nodeId: roomy.id }, data: { state: 'syncing' } });
    expect((await chooseNode(db.prisma, { ...req, ram: 16 * 1024 })).node.id).toBe(roomy.id);
  });
});

// What placement summed over every VE before the triggers.
async function summed(nodeId: string) {
  const [r] = await db.prisma.$queryRaw<Array<{ ram: bigint; disk: bigint }>>`
    SELECT COALESCE(SUM(CASE WHEN jsonb_typeof(limits->'ram') = 'number' THEN (limits->>'ram')::numeric END), 0)::bigint AS ram,
           COALESCE(SUM(CASE WHEN jsonb_typeof(limits->'diskspace') = 'number' THEN (limits->>'diskspace')::numeric END), 0)::bigint AS disk
    FROM "Ve" WHERE "nodeId" = ${nodeId}`;
  return { ramUsed: Number(r.ram), diskUsed: Number(r.disk) };
}
const used = async (nodeId: string) => {
  const [c] = await nodeCapacities(db.prisma, { id: nodeId });
  return { ramUsed: c.ramUsed, diskUsed: c.diskUsed };
};

// The per-node sums placement reads (NodeCommitment, kept by triggers on "Ve") stay equal to the sum
// over the node's VEs through create, resize, move and delete; a limit that is not a number counts 0,
// as the sum over the rows did (issue 15).
describe('node commitments', () => {
  it('follow creates, resizes, moves and deletes of VEs, and equal the sum over the rows', async () => {
    const a = await seedNode(db.prisma, { name: uniq('ca') });
    const b = await seedNode(db.prisma, { name: uniq('cb') });
    expect(await used(a.id)).toEqual({ ramUsed: 0, diskUsed: 0 });
    const mk = (nodeId: string, limits: object) => db.prisma.ve.create({ data: { ctid: nextCtid++, hostname: 'c.test', nodeId, templateId, state: 'running', limits } });
    const v1 = await mk(a.id, { ram: 1024, diskspace: 10240 });
    const v2 = await mk(a.id, { ram: 512.5, diskspace: 2048 });
    await mk(a.id, { ram: 'lots' }); // not a number, no disk: counts 0
    await db.prisma.ve.createMany({ data: Array.from({ length: 50 }, () => ({ ctid: nextCtid++, hostname: 'm.test', nodeId: b.id, templateId, state: 'stopped' as const, limits: { ram: 64, diskspace: 64 } })) });
    expect(await used(a.id)).toEqual(await summed(a.id));
    expect(await used(b.id)).toEqual({ ramUsed: 3200, diskUsed: 3200 });

    await db.prisma.ve.update({ where: { id: v1.id }, data: { limits: { ram: 2048, diskspace: 10240 } } }); // resize
    await db.prisma.ve.update({ where: { id: v1.id }, data: { state: 'stopped', drift: {} } }); // no limit change
    await db.prisma.ve.update({ where: { id: v2.id }, data: { nodeId: b.id } }); // moved (migration)
    expect(await used(a.id)).toEqual(await summed(a.id));
    expect(await used(a.id)).toEqual({ ramUsed: 2048, diskUsed: 10240 });
    expect(await used(b.id)).toEqual(await summed(b.id));

    await db.prisma.ve.delete({ where: { id: v1.id } });
    await db.prisma.ve.deleteMany({ where: { nodeId: b.id, hostname: 'm.test' } });
    expect(await used(a.id)).toEqual({ ramUsed: 0, diskUsed: 0 });
    expect(await used(b.id)).toEqual(await summed(b.id));
    // A rolled-back create leaves the sums as they were.
    await expect(db.prisma.$transaction(async (tx) => {
      await tx.ve.create({ data: { ctid: nextCtid++, hostname: 'r.test', nodeId: a.id, templateId, state: 'creating', limits: { ram: 999, diskspace: 999 } } });
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect(await used(a.id)).toEqual({ ramUsed: 0, diskUsed: 0 });
  });
});
