// The distributor's bookkeeping on a real Postgres: which copies are due (a new node gets every
// enabled template, a stranded pending row is served, a failed one waits out a doubling backoff),
// and queueing a pair twice makes one task.
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, uniq } from '@/test/fixtures/panel';
import { assertNodeRemovable } from '@/server/services/nodes/manage';
import { addTemplateVersion } from '../versions';
import { queueTemplateSync } from './queue';
import { dueSyncs, queueDueSyncs } from './sweep';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  process.env.VZ_TEMPLATE_RETRY_MS = String(5 * 60_000);
});
afterAll(async () => {
  delete process.env.VZ_TEMPLATE_RETRY_MS;
  await db?.drop();
});

const version = (name: string) => addTemplateVersion(db.prisma, name, 'amd64', null, { os: 'tinyos', osVersion: '1', sizeBytes: 10n, sha256: 'a'.repeat(64), storagePath: '/nonexistent', source: 'upload' });
const pairs = (d: Array<{ templateId: string; nodeId: string }>) => d.map((x) => `${x.templateId}/${x.nodeId}`).sort();
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

describe('template distribution sweep', () => {
  it('a new online node is due every enabled template with a version; offline, maintenance and disabled ones are not', async () => {
    const t1 = (await version(uniq('hd-t1'))).template;
    const t2 = (await version(uniq('hd-t2'))).template;
    await db.prisma.template.update({ where: { id: t2.id }, data: { enabled: false } });
    await db.prisma.template.create({ data: { name: uniq('hd-noversion'), os: 'x', version: '1', arch: 'amd64', sizeBytes: 1n, sha256: 'b'.repeat(64) } });
    const n = await seedNode(db.prisma);
    await seedNode(db.prisma, { state: 'offline' });
    await seedNode(db.prisma, { maintenance: true });
    const due = await dueSyncs(db.prisma);
    expect(pairs(due)).toEqual([`${t1.id}/${n.id}`]);
    expect(due[0].why).toMatch(/ahead of need/);

    // Queued once: a second sweep finds the task and queues nothing more; the row says pending.
    expect(await queueDueSyncs(db.prisma)).toBe(1);
    expect(await queueDueSyncs(db.prisma)).toBe(0);
    expect(await db.prisma.templateCache.findFirstOrThrow({ where: { templateId: t1.id, nodeId: n.id } })).toMatchObject({ state: 'pending' });
    expect(await db.prisma.task.count({ where: { type: 'template.sync', nodeId: n.id } })).toBe(1);
    // A queued copy does not hold up removing the node (other work does).
    await expect(assertNodeRemovable(db.prisma, n.id)).resolves.toMatchObject({ id: n.id });
    await db.prisma.task.create({ data: { type: 've.start', nodeId: n.id, status: 'queued', params: {} } });
    await expect(assertNodeRemovable(db.prisma, n.id)).rejects.toMatchObject({ code: 'BUSY' });
    await db.prisma.task.deleteMany({ where: { type: 've.start', nodeId: n.id } });
  });

  it('two requests for one pair at once make one task', async () => {
    const t = (await version(uniq('hd-t3'))).template;
    const n = await seedNode(db.prisma, { state: 'offline' });
    const [x, y] = await Promise.all([1, 2].map(() => queueTemplateSync(db.prisma, { templateId: t.id, nodeId: n.id, why: 'test' })));
    expect(x.taskId).toBe(y.taskId);
    expect([x.queued, y.queued].sort()).toEqual([false, true]);
  });

  it('a failed copy is retried after a backoff that doubles with each failure in a row; a stranded pending row is served', async () => {
    const t = (await version(uniq('hd-t4'))).template;
    const others = await db.prisma.template.findMany({ where: { id: { not: t.id } }, select: { id: true } });
    await db.prisma.template.updateMany({ where: { id: { in: others.map((o) => o.id) } }, data: { enabled: false } });
    await db.prisma.node.updateMany({ data: { state: 'offline' } });
    const n = await seedNode(db.prisma);
    const fail = (at: Date) => db.prisma.task.create({ data: { type: 'template.sync', nodeId: n.id, status: 'failed', params: { templateId: t.id, why: 'test' }, createdAt: at } });
    const row = (state: 'failed' | 'pending' | 'ready', updatedAt: Date) =>
      db.prisma.$executeRaw`INSERT INTO "TemplateCache" (id, "templateId", "nodeId", state, error, "updatedAt") VALUES (gen_random_uuid(), ${t.id}, ${n.id}, ${state}::"TemplateCacheState", 'node offline', ${updatedAt})
        ON CONFLICT ("templateId", "nodeId") DO UPDATE SET state = EXCLUDED.state, "updatedAt" = EXCLUDED."updatedAt"`;

    await fail(minutesAgo(30));
    await row('failed', minutesAgo(4));
    expect(await dueSyncs(db.prisma)).toEqual([]); // one failure: 5 min
    await row('failed', minutesAgo(6));
    expect(await dueSyncs(db.prisma)).toEqual([expect.objectContaining({ templateId: t.id, nodeId: n.id, why: 'retry after 1 failed attempt(s)' })]);
    await fail(minutesAgo(20));
    expect(await dueSyncs(db.prisma)).toEqual([]); // two in a row: 10 min
    await row('failed', minutesAgo(11));
    expect(await dueSyncs(db.prisma)).toHaveLength(1);

    await row('ready', minutesAgo(1));
    expect(await dueSyncs(db.prisma)).toEqual([]);
    await row('pending', minutesAgo(1));
    expect(await dueSyncs(db.prisma)).toEqual([expect.objectContaining({ why: 'pending with no task serving it' })]);
  });
});
