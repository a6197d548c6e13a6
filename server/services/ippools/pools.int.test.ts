import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { AppError } from '@/server/errors';
import { addressesNotServedBy, addressesOfVe, allocateAddresses, createPool, deletePool, getPool, listPoolAddresses, releaseVeAddresses, setAddressReserved, updatePool } from '.';

let db: TestDatabase;
let templateId: string;
let nextCtid = 20_000;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 40 });
  templateId = (await seedTemplate(db.prisma)).id;
});
afterAll(async () => db?.drop());

const newVe = (nodeId: string) => db.prisma.ve.create({ data: { ctid: nextCtid++, hostname: 'x.test', nodeId, templateId } });

describe('IP pools', () => {
  it('concurrent allocations in separate transactions never share an address (SKIP LOCKED)', async () => {
    const group = await db.prisma.nodeGroup.create({ data: { name: uniq('g') } });
    const node = await seedNode(db.prisma, { nodeGroupId: group.id });
    const pool = await createPool(db.prisma, { name: uniq('p27'), cidr: '10.199.50.0/27', gateway: '10.199.50.1', nodeGroupId: group.id });
    const ves = await Promise.all(Array.from({ length: 32 }, () => newVe(node.id)));
    const results = await Promise.allSettled(
      ves.map((ve) =>
        db.prisma.$transaction(async (tx) => {
          const got = await allocateAddresses(tx, { nodeId: node.id, count: 1, family: 4, veId: ve.id });
          await tx.$executeRaw`SELECT pg_sleep(0.05)`; // hold the row locks so the transactions overlap
          return got[0].address;
        }, { maxWait: 20_000, timeout: 20_000 }),
      ),
    );
    const got = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const errs = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as AppError] : []));
    expect(got).toHaveLength(29); // 30 hosts minus the gateway
    expect(new Set(got).size).toBe(29);
    expect(errs.map((e) => e.code)).toEqual(['CAPACITY', 'CAPACITY', 'CAPACITY']);
    expect(errs[0].message).toBe(`IP pool ${pool.name} has no free IPv4 address`);
    expect((await getPool(db.prisma, pool.id)).usage).toEqual({ total: 30, used: 29, reserved: 1, free: 0 });
    // Which three VEs got CAPACITY depends on the race: release one that got an address.
    const served = ves[results.findIndex((r) => r.status === 'fulfilled')];
    expect(await releaseVeAddresses(db.prisma, served.id)).toBe(1);
    expect((await getPool(db.prisma, pool.id)).usage.free).toBe(1);
  });

  it('a request for more addresses than are free takes none, even when the caller goes on', async () => {
    const node = await seedNode(db.prisma);
    const pool = await createPool(db.prisma, { name: uniq('p30'), cidr: '10.199.52.0/30', nodeIds: [node.id] }); // .1 and .2, no gateway
    const ve = await newVe(node.id);
    const err = await db.prisma.$transaction(async (tx) => {
      const e = await allocateAddresses(tx, { nodeId: node.id, count: 3, family: 4, veId: ve.id }).catch((x: unknown) => x);
      // Still inside the transaction: what the one statement had claimed is free again.
      expect(await addressesOfVe(tx, ve.id)).toEqual([]);
      return e;
    });
    expect(err).toMatchObject({ code: 'CAPACITY', message: `IP pool ${pool.name}: 3 IPv4 addresses needed, 2 free`, data: { needed: 3, free: 2 } });
    const got = await db.prisma.$transaction((tx) => allocateAddresses(tx, { nodeId: node.id, count: 2, family: 4, veId: ve.id }));
    expect(got.map((g) => [g.address, g.family, g.prefix, g.gateway, g.nameservers, g.poolName])).toEqual([['10.199.52.1', 4, 30, null, [], pool.name], ['10.199.52.2', 4, 30, null, [], pool.name]]);
    expect(got).toEqual(await addressesOfVe(db.prisma, ve.id));
  });

  it('addresses stay bound to the VE when it moves to another node', async () => {
    const group = await db.prisma.nodeGroup.create({ data: { name: uniq('g') } });
    const [a, b] = [await seedNode(db.prisma, { nodeGroupId: group.id }), await seedNode(db.prisma, { nodeGroupId: group.id })];
    const outside = await seedNode(db.prisma);
    await createPool(db.prisma, { name: uniq('mig'), cidr: '10.199.51.0/29', nodeGroupId: group.id });
    const ve = await newVe(a.id);
    const [got] = await db.prisma.$transaction((tx) => allocateAddresses(tx, { nodeId: a.id, count: 1, family: 4, veId: ve.id }));
    await db.prisma.ve.update({ where: { id: ve.id }, data: { nodeId: b.id } }); // what a migration does to the row
    expect((await addressesOfVe(db.prisma, ve.id)).map((x) => x.address)).toEqual([got.address]);
    expect(await addressesNotServedBy(db.prisma, ve.id, b.id)).toEqual([]);
    expect(await addressesNotServedBy(db.prisma, ve.id, outside.id)).toEqual([got.address]);
  });

  it('validates networks, refuses overlaps, and materialises IPv6 ranges', async () => {
    const node = await seedNode(db.prisma);
    const bad = (input: object, field: string) => expect(createPool(db.prisma, { name: uniq('b'), ...input } as never)).rejects.toMatchObject({ code: 'BAD_INPUT', data: { field } });
    await bad({ cidr: '10.199.60.5/24' }, 'cidr');
    await bad({ cidr: '10.199.60.0/24', gateway: '10.199.61.1' }, 'gateway');
    await bad({ cidr: '10.0.0.0/8' }, 'cidr');
    await bad({ cidr: '10.199.60.0/24', nameservers: ['8.8.8.8; x'] }, 'nameservers.0');
    const a = await createPool(db.prisma, { name: uniq('a'), cidr: '10.199.60.0/24', first: '10.199.60.10', last: '10.199.60.19', nodeIds: [node.id] });
    expect((await getPool(db.prisma, a.id)).usage.total).toBe(10);
    await expect(createPool(db.prisma, { name: uniq('c'), cidr: '10.199.60.0/28' })).rejects.toMatchObject({ code: 'CONFLICT', message: '10.199.60.10 already belongs to pool ' + a.name });
    const v6 = await createPool(db.prisma, { name: uniq('v6'), cidr: 'FD00:199:1::/64', gateway: 'fd00:199:1::1', nameservers: ['fd00:199:1::53'], nodeIds: [node.id] });
    expect(v6).toMatchObject({ family: 6, prefix: 64, cidr: 'fd00:199:1::/64', gateway: 'fd00:199:1::1' });
    const addrs = await listPoolAddresses(db.prisma, v6.id, { take: 3 });
    expect(addrs.map((r) => [r.address, r.reserved])).toEqual([['fd00:199:1::1', true], ['fd00:199:1::2', false], ['fd00:199:1::3', false]]);
    const ve = await newVe(node.id);
    const got = await db.prisma.$transaction((tx) => allocateAddresses(tx, { nodeId: node.id, count: 2, family: 6, veId: ve.id }));
    expect(got.map((g) => g.address)).toEqual(['fd00:199:1::2', 'fd00:199:1::3']);
    expect(got[0]).toMatchObject({ prefix: 64, gateway: 'fd00:199:1::1', nameservers: ['fd00:199:1::53'] });
    await expect(deletePool(db.prisma, v6.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(setAddressReserved(db.prisma, 'fd00:199:1::2', true)).rejects.toMatchObject({ code: 'CONFLICT' });
    await setAddressReserved(db.prisma, '10.199.60.10', true);
    expect((await getPool(db.prisma, a.id)).usage).toMatchObject({ reserved: 1, free: 9 });
    const other = await seedNode(db.prisma);
    const moved = await updatePool(db.prisma, a.id, { nodeIds: [other.id], nameservers: ['10.199.60.53'] });
    expect(moved.nodes.map((n) => n.id)).toEqual([other.id]);
    // The old node has no IPv4 pool any more.
    await expect(db.prisma.$transaction((tx) => allocateAddresses(tx, { nodeId: node.id, count: 1, family: 4, veId: ve.id }))).rejects.toMatchObject({ code: 'CAPACITY', message: 'No IPv4 pool serves this node' });
    await deletePool(db.prisma, a.id);
  });
});
