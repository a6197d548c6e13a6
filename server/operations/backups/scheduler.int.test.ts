// The backup scheduler against Postgres: each VE at its jittered minute of the window, at most N backups
// queued or running per node, once per period, and the same decisions from a fresh pass (a panel restart).
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { dueAt, periodStart } from '@/server/services/backups';
import { runBackupSchedules } from './scheduler';

let db: TestDatabase;
let nodeId: string;
let veIds: string[];
const NOW = new Date('2026-12-07T03:59:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  nodeId = (await seedNode(db.prisma)).id;
  const template = await seedTemplate(db.prisma);
  const plan = await db.prisma.plan.create({ data: { name: uniq('plan'), ram: 64, diskspace: 64, diskinodes: 1000 } });
  const storage = await db.prisma.backupStorage.create({ data: { name: uniq('st'), kind: 'local', path: '/tmp/bkp-sched', passwordSealed: 'v1.a.b.c' } });
  // A window that opened an hour ago and lasts 59 minutes: every VE's minute has passed by now.
  const d = new Date(Date.now() - 3600_000);
  await db.prisma.backupSchedule.create({ data: { planId: plan.id, storageId: storage.id, windowStart: d.getUTCHours() * 60 + d.getUTCMinutes(), windowMinutes: 59 } });
  veIds = [];
  for (let i = 0; i < 3; i++) {
    const ve = await db.prisma.ve.create({ data: { ctid: 22_500 + i, hostname: `s${i}.test`, nodeId, planId: plan.id, templateId: template.id, state: 'running', limits: {} } });
    veIds.push(ve.id);
  }
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

describe('backup schedule', () => {
  it("puts each VE at a stable minute inside the window (jitter), in the period's window", () => {
    const s = { frequency: 'daily' as const, weekday: 0, windowStart: 120, windowMinutes: 119 };
    const start = periodStart(s, NOW);
    expect(start.toISOString()).toBe('2026-12-07T02:00:00.000Z');
    // Before today's window opens, the period is yesterday's.
    expect(periodStart(s, new Date('2026-12-07T01:00:00Z')).toISOString()).toBe('2026-12-06T02:00:00.000Z');
    expect(periodStart({ ...s, frequency: 'weekly', weekday: 3 }, NOW).toISOString()).toBe('2026-12-02T02:00:00.000Z');
    const minutes = veIds.map((id) => (dueAt(s, id, start).getTime() - start.getTime()) / 60_000);
    for (const m of minutes) expect(m >= 0 && m < 119).toBe(true);
    expect(new Set(minutes).size).toBeGreaterThan(1);
    expect(veIds.map((id) => dueAt(s, id, start).getTime())).toEqual(veIds.map((id) => dueAt(s, id, start).getTime()));
  });

  it('queues within the per-node limit, defers the rest, and backs each VE up once per period across fresh passes', async () => {
    const now = new Date();
    const first = await runBackupSchedules(db.prisma, now, 2);
    expect(first).toMatchObject({ deferred: 1 });
    expect(first.queued).toHaveLength(2);
    // A fresh pass (as after a panel restart) sees the same state in the database: the node is full.
    expect(await runBackupSchedules(db.prisma, now, 2)).toEqual({ queued: [], deferred: 1 });
    // One finishes: its slot goes to the VE that waited.
    await db.prisma.backup.update({ where: { id: first.queued[0] }, data: { state: 'completed' } });
    const third = await runBackupSchedules(db.prisma, now, 2);
    expect(third.queued).toHaveLength(1);
    const rows = await db.prisma.backup.findMany({ where: { kind: 'scheduled' } });
    expect(new Set(rows.map((r) => r.veId))).toEqual(new Set(veIds));
    // Every VE has its backup of this period: nothing more, whatever the slots.
    await db.prisma.backup.updateMany({ data: { state: 'completed' } });
    expect(await runBackupSchedules(db.prisma, new Date(), 2)).toEqual({ queued: [], deferred: 0 });
    // Each queued backup is a backup.create task on its VE's queue.
    const tasks = await db.prisma.task.findMany({ where: { type: 'backup.create' } });
    expect(tasks).toHaveLength(3);
  });
});
