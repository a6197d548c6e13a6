// The per-node sums placement reads (NodeCommitment, kept by triggers on "Ve") stay equal to the sum
// over the node's VEs through every change that moves limits: create, resize, move to another
// node, delete; a limit that is not a number counts 0, as the sum over the rows did (issue 15).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { nodeCapacities } from '.';

let db: TestDatabase;
let templateId: string;
let nextCtid = 82_100;

beforeAll(async () => {
  db = await createTestDatabase();
  templateId = (await seedTemplate(db.prisma)).id;
});
afterAll(async () => db?.drop());

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
