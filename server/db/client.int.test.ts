// The generated client through createPrisma on a migrated test DB: types round-trip, VE search stays fast.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { Prisma, VeState } from './client';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function fixtures() {
  const p = db.prisma;
  const owner = await p.user.create({ data: { email: `c${Date.now()}@example.com`, name: 'Cust', passwordHash: 'x', backupCodeHashes: ['h1', 'h2'] } });
  const node = await p.node.create({ data: { name: `node-${Date.now()}`, address: '127.0.0.2', transport: 'local', capabilities: { cgroup: 'v1', features: ['criu'] } } });
  const template = await p.template.create({
    data: { name: `busybox-${Date.now()}`, os: 'busybox', version: '1.35', arch: 'x86_64', sizeBytes: 5_000_000_000n, sha256: 'ab'.repeat(32) },
  });
  const plan = await p.plan.create({ data: { name: `small-${Date.now()}`, ram: 512, diskspace: 10240, diskinodes: 655360, templates: { connect: { id: template.id } } } });
  return { owner, node, template, plan };
}

describe('createPrisma', () => {
  it('stores and reads back enums, JSON, arrays, BigInt and relations', async () => {
    const { owner, node, template, plan } = await fixtures();
    const ve = await db.prisma.ve.create({
      data: { ctid: 101, hostname: 'web1.example.com', nodeId: node.id, templateId: template.id, planId: plan.id, ownerId: owner.id, limits: { ram: 512 }, tags: ['prod'] },
      include: { template: true, plan: { include: { templates: true } }, owner: true },
    });
    expect(ve.state).toBe(VeState.creating);
    expect(ve.template.sizeBytes).toBe(5_000_000_000n);
    expect(ve.plan?.templates.map((t) => t.id)).toEqual([template.id]);
    expect(ve.owner?.backupCodeHashes).toEqual(['h1', 'h2']);
    expect(await db.prisma.node.findUniqueOrThrow({ where: { id: node.id } })).toMatchObject({ capabilities: { cgroup: 'v1' }, state: 'unknown' });

    const task = await db.prisma.task.create({ data: { type: 've.start', veId: ve.id, ctid: 101, nodeId: node.id, logs: { create: [{ line: 'one' }, { line: 'two; with semicolon' }] } } });
    expect(task.status).toBe('queued');
    expect(task.opId).toMatch(/^[0-9a-f-]{36}$/);
    const logs = await db.prisma.taskLog.findMany({ where: { taskId: task.id }, orderBy: { id: 'asc' } });
    expect(logs.map((l) => l.line)).toEqual(['one', 'two; with semicolon']);

    await expect(db.prisma.ve.create({ data: { ctid: 101, hostname: 'dup', nodeId: node.id, templateId: template.id } })).rejects.toMatchObject({ code: 'P2002' });
    expect(Prisma.PrismaClientKnownRequestError).toBeTypeOf('function');
  });

  it('keeps VE search by ctid, hostname, owner, node and state fast with 10,000 VEs', async () => {
    const { owner, node, template } = await fixtures();
    const states = [VeState.running, VeState.stopped, VeState.suspended];
    await db.prisma.ve.createMany({
      data: Array.from({ length: 10_000 }, (_, i) => ({
        ctid: 1000 + i,
        hostname: `vps${i}.customer${i % 97}.example.net`,
        nodeId: node.id,
        templateId: template.id,
        ownerId: i % 50 === 0 ? owner.id : null,
        state: states[i % 3],
      })),
    });
    await db.prisma.$executeRawUnsafe('ANALYZE "Ve"');

    const timed = async <T>(fn: () => Promise<T>) => {
      await fn();
      const t0 = performance.now();
      const r = await fn();
      return { r, ms: performance.now() - t0 };
    };
    const byCtid = await timed(() => db.prisma.ve.findUnique({ where: { ctid: 5432 } }));
    const byHost = await timed(() => db.prisma.ve.findMany({ where: { hostname: { contains: 'customer42.', mode: 'insensitive' } }, take: 50 }));
    const byOwner = await timed(() => db.prisma.ve.findMany({ where: { ownerId: owner.id }, orderBy: { createdAt: 'desc' }, take: 50 }));
    const byNodeState = await timed(() => db.prisma.ve.count({ where: { nodeId: node.id, state: 'suspended' } }));
    expect(byCtid.r?.hostname).toBe('vps4432.customer67.example.net');
    expect(byHost.r.length).toBeGreaterThan(0);
    expect(byHost.r.every((v) => v.hostname.includes('customer42.'))).toBe(true);
    expect(byOwner.r).toHaveLength(50);
    expect(byNodeState.r).toBe(3333);
    for (const q of [byCtid, byHost, byOwner, byNodeState]) expect(q.ms).toBeLessThan(100);

    // At 10k rows a seq scan is still cheap; the trigram index must be usable once it no longer is.
    const [, plan] = await db.prisma.$transaction([
      db.prisma.$executeRawUnsafe('SET LOCAL enable_seqscan = off'),
      db.prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN SELECT id FROM "Ve" WHERE hostname ILIKE '%customer42.%'`),
    ]);
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('Ve_hostname_trgm_idx');
  });

  it('gives each test its own database in well under 2 s', async () => {
    const t0 = Date.now();
    const other = await createTestDatabase();
    try {
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(await other.prisma.ve.count()).toBe(0);
    } finally {
      await other.drop();
    }
  });
});
