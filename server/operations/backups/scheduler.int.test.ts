// The backup scheduler against Postgres: each VE at its jittered minute of the window, at most N backups
// queued or running per node, once per period, and the same decisions from a fresh pass (a panel restart).
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { dueAt, periodStart, upsertSchedule } from '@/server/services/backups';
import { runBackupSchedules } from './scheduler';

let db: TestDatabase;
let nodeId: string;
let veIds: string[];
let templateId: string;
let storageId: string;
const HOUR = 3600_000;
const NOW = new Date('2026-12-07T03:59:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  nodeId = (await seedNode(db.prisma)).id;
  const template = await seedTemplate(db.prisma);
  templateId = template.id;
  const plan = await db.prisma.plan.create({ data: { name: uniq('plan'), ram: 64, diskspace: 64, diskinodes: 1000 } });
  const storage = await db.prisma.backupStorage.create({ data: { name: uniq('st'), kind: 'local', path: '/tmp/bkp-sched', passwordSealed: 'v1.a.b.c' } });
  storageId = storage.id;
  // A window that opened an hour ago and lasts 59 minutes: every VE's minute has passed by now, while
  // the schedule (set three hours ago) was in force and the VEs existed: the panel missed them.
  const d = new Date(Date.now() - HOUR);
  const before = new Date(Date.now() - 3 * HOUR);
  await db.prisma.backupSchedule.create({ data: { planId: plan.id, storageId: storage.id, windowStart: d.getUTCHours() * 60 + d.getUTCMinutes(), windowMinutes: 59, effectiveFrom: before } });
  veIds = [];
  for (let i = 0; i < 3; i++) {
    const ve = await db.prisma.ve.create({ data: { ctid: 22_500 + i, hostname: `s${i}.test`, nodeId, planId: plan.id, templateId: template.id, state: 'running', limits: {}, createdAt: before } });
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

  it('a schedule set after its window does not catch up at once: each VE runs once in the next window', async () => {
    const plan = await db.prisma.plan.create({ data: { name: uniq('late'), ram: 64, diskspace: 64, diskinodes: 1000 } });
    const ves: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ve = await db.prisma.ve.create({ data: { ctid: 22_600 + i, hostname: `l${i}.test`, nodeId, planId: plan.id, templateId, state: 'running', limits: {}, createdAt: new Date(Date.now() - 3 * HOUR) } });
      ves.push(ve.id);
    }
    // Set now, for a window that opened an hour ago and closed a minute ago.
    const d = new Date(Date.now() - HOUR);
    const input = { planId: plan.id, storageId, windowStart: d.getUTCHours() * 60 + d.getUTCMinutes(), windowMinutes: 59 };
    const s = await upsertSchedule(db.prisma, input);
    const mine = async () => (await db.prisma.backup.findMany({ where: { veId: { in: ves }, kind: 'scheduled' } })).map((b) => b.veId);
    await runBackupSchedules(db.prisma, new Date(), 100);
    expect(await mine()).toEqual([]);
    // A retention edit is not a new start; moving the window is.
    expect((await upsertSchedule(db.prisma, { ...input, keepDaily: 3 })).effectiveFrom).toEqual(s.effectiveFrom);
    const moved = await upsertSchedule(db.prisma, { ...input, windowMinutes: 58 });
    expect(moved.effectiveFrom.getTime()).toBeGreaterThan(s.effectiveFrom.getTime());
    await upsertSchedule(db.prisma, input);
    // The next day's window, once every VE's minute has passed: each VE once, however many passes.
    const tomorrow = new Date(Date.now() + 24 * HOUR);
    await runBackupSchedules(db.prisma, tomorrow, 100);
    await runBackupSchedules(db.prisma, tomorrow, 100);
    expect((await mine()).sort()).toEqual([...ves].sort());
  });

  it('a VE created after its minute of the window waits for the next window', async () => {
    const plan = await db.prisma.ve.findUniqueOrThrow({ where: { id: veIds[0] }, select: { planId: true } });
    const ve = await db.prisma.ve.create({ data: { ctid: 22_700, hostname: 'new.test', nodeId, planId: plan.planId, templateId, state: 'running', limits: {} } });
    await runBackupSchedules(db.prisma, new Date(), 100);
    expect(await db.prisma.backup.count({ where: { veId: ve.id } })).toBe(0);
  });
});
