import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { run, runMigrations, type Runner } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { AppError } from '@/server/errors';
import { enqueueTask } from '@/server/services/tasks/enqueue';
import { registerTaskHandler } from './registry';
import { taskRunner } from './runner';

let db: TestDatabase;
let runner: Runner;
const events: string[] = [];
/** ctx.task.startedAt as each attempt of test.flaky saw it. */
const flakyStarts: (Date | null)[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitDone(ids: string[], timeoutMs = 30_000) {
  const t0 = Date.now();
  for (;;) {
    const rows = await db.prisma.task.findMany({ where: { id: { in: ids } } });
    if (rows.every((t) => ['succeeded', 'failed', 'cancelled'].includes(t.status))) return rows;
    if (Date.now() - t0 > timeoutMs) throw new Error(`tasks not done: ${rows.map((r) => r.status).join(',')}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  registerTaskHandler({
    type: 'test.step',
    async run(ctx) {
      const { name, ms } = ctx.task.params as { name: string; ms: number };
      events.push(`start ${name}`);
      await ctx.progress(50, `half of ${name}`);
      await ctx.log(`working on ${name}`);
      await sleep(ms);
      events.push(`end ${name}`);
      return { name };
    },
  });
  // Like agent notifications: fired without waiting, faster than the database takes them.
  registerTaskHandler({
    type: 'test.burst',
    async run(ctx) {
      for (let i = 1; i <= 200; i++) {
        void ctx.progress(i / 2, `step ${i}`);
        if (i % 20 === 0) void ctx.log(`line ${i / 20}`);
      }
      void ctx.progress(99, 'almost');
      return {};
    },
  });
  // Like an agent's progress through taskCallOptions: progressLater, nobody awaits it.
  registerTaskHandler({
    type: 'test.later',
    async run(ctx) {
      for (let i = 1; i <= 50; i++) {
        ctx.progressLater!(i, `step ${i}`);
        if (i % 10 === 0) await sleep(30);
      }
      ctx.progressLater!(97, 'last step');
      return {};
    },
  });
  let flaky = 0;
  registerTaskHandler({
    type: 'test.flaky',
    async run(ctx) {
      flakyStarts.push(ctx.task.startedAt);
      flaky += 1;
      if (flaky < 2) throw new AppError('NODE_OFFLINE', 'node n1 is offline');
      return { flaky };
    },
  });
  registerTaskHandler({
    type: 'test.bad',
    async run() {
      throw new AppError('CONFLICT', 'VE 101 already exists');
    },
    async onFailed(ctx) {
      await ctx.log('cleaned up');
    },
  });
  runner = await run({
    connectionString: db.url,
    concurrency: 4,
    noHandleSignals: true,
    pollInterval: 200,
    taskList: { 'task.run': taskRunner(db.prisma) },
  });
});

afterAll(async () => {
  await runner?.stop();
  await db?.drop();
});

describe('tasks', () => {
  it('writes progress and log lines in order and before the outcome, collapsing a burst of progress', async () => {
    const t = await enqueueTask(db.prisma, { type: 'test.burst', ctid: 103, params: {} });
    const [done] = await waitDone([t.id]);
    expect(done).toMatchObject({ status: 'succeeded', progress: 100, message: 'almost' });
    const logs = await db.prisma.taskLog.findMany({ where: { taskId: t.id }, orderBy: { id: 'asc' } });
    expect(logs.map((l) => l.line)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 1}`));
    // Nothing written after the outcome: the row stays as finished.
    await sleep(300);
    expect(await db.prisma.task.findUniqueOrThrow({ where: { id: t.id } })).toMatchObject({ progress: 100, updatedAt: done.updatedAt });
  });

  it('writes agent progress at most once per gap, and its last value lands before the outcome', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      await listener.query('LISTEN vz_task');
      const t = await enqueueTask(db.prisma, { type: 'test.later', ctid: 104, params: {} });
      let writes = 0;
      listener.on('notification', (n) => { if (n.payload === t.id) writes += 1; });
      const [done] = await waitDone([t.id]);
      // ~150 ms of progress calls: the first write at once, then at most one per 250 ms; the one still
      // pending at the end is written with the outcome (its message too), not on its own before it.
      expect(done).toMatchObject({ status: 'succeeded', progress: 100, message: 'last step' });
      await sleep(300);
      // 1-2 progress writes + the outcome's NOTIFY, not 51 progress writes.
      expect(writes).toBeGreaterThanOrEqual(2);
      expect(writes).toBeLessThanOrEqual(3);
      expect(await db.prisma.task.findUniqueOrThrow({ where: { id: t.id } })).toMatchObject({ progress: 100, updatedAt: done.updatedAt });
    } finally {
      await listener.end();
    }
  });

  it('runs tasks of one VE strictly in order while another VE runs alongside', async () => {
    const a1 = await enqueueTask(db.prisma, { type: 'test.step', ctid: 101, params: { name: 'A1', ms: 600 } });
    const a2 = await enqueueTask(db.prisma, { type: 'test.step', ctid: 101, params: { name: 'A2', ms: 100 } });
    const b1 = await enqueueTask(db.prisma, { type: 'test.step', ctid: 102, params: { name: 'B1', ms: 100 } });
    const done = await waitDone([a1.id, a2.id, b1.id]);
    expect(done.every((t) => t.status === 'succeeded' && t.progress === 100)).toBe(true);
    expect(events.indexOf('end A1')).toBeLessThan(events.indexOf('start A2'));
    expect(events.indexOf('end B1')).toBeLessThan(events.indexOf('end A1'));
    const logs = await db.prisma.taskLog.findMany({ where: { taskId: a1.id } });
    expect(logs.map((l) => l.line)).toContain('working on A1');
  });

  it('retries a node-offline failure and then succeeds', async () => {
    const t = await enqueueTask(db.prisma, { type: 'test.flaky', ctid: 103 });
    const [done] = await waitDone([t.id], 60_000);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    // The retry keeps the first attempt's start time (the runner stamps it only while unset).
    expect(flakyStarts).toHaveLength(2);
    expect(flakyStarts[0]).toBeInstanceOf(Date);
    expect(flakyStarts[1]).toEqual(flakyStarts[0]);
    expect((await db.prisma.task.findUniqueOrThrow({ where: { id: t.id } })).startedAt).toEqual(flakyStarts[0]);
  });

  it('fails a non-retryable error at once, with its code, after the cleanup hook', async () => {
    const t = await enqueueTask(db.prisma, { type: 'test.bad', ctid: 104 });
    const [done] = await waitDone([t.id]);
    expect(done).toMatchObject({ status: 'failed', errorCode: 'CONFLICT', error: 'VE 101 already exists', attempts: 1 });
    const logs = await db.prisma.taskLog.findMany({ where: { taskId: t.id }, orderBy: { id: 'asc' } });
    expect(logs.map((l) => l.line)).toEqual(['VE 101 already exists', 'cleaned up']);
  });
});
