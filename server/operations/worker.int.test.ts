import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { startWorker, type PanelWorker } from './worker';
import { enqueueTask } from '@/server/services/tasks/enqueue';
import { registerTaskHandler } from './tasks/registry';

let db: TestDatabase;
let worker: PanelWorker | undefined;
let other: pg.Client | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await worker?.stop();
  await other?.end();
  await db?.drop();
});

async function lockedBy(c: pg.Client): Promise<Record<string, string | null>> {
  const r = await c.query<{ key: string; locked_by: string | null }>('SELECT key, locked_by FROM graphile_worker._private_jobs');
  return Object.fromEntries(r.rows.map((x) => [x.key, x.locked_by]));
}

describe('job worker start-up', () => {
  it('frees jobs held by a dead worker, leaves a live worker’s jobs alone, then runs jobs', async () => {
    await runMigrations({ connectionString: db.url });
    other = new pg.Client({ connectionString: db.url });
    await other.connect();
    // Two jobs on an unknown task (so nothing here runs them), locked as if picked up earlier.
    for (const key of ['dead', 'alive']) {
      await other.query(`SELECT graphile_worker.add_job('test.parked', '{}'::json, job_key := $1, queue_name := $2)`, [key, `ve:${key}`]);
    }
    await other.query(`UPDATE graphile_worker._private_jobs SET locked_by = 'worker-' || key, locked_at = now()`);
    await other.query(`UPDATE graphile_worker._private_job_queues SET locked_by = 'worker-' || substr(queue_name, 4), locked_at = now()`);
    // Another panel process is alive and holds its worker's liveness lock.
    await other.query(`SELECT pg_advisory_lock($1, hashtext('worker-alive'))`, [0x767a_0002]);

    const ran: string[] = [];
    worker = await startWorker({
      connectionString: db.url,
      prisma: db.prisma,
      concurrency: 1,
      tasks: { 'test.echo': async (payload) => void ran.push((payload as { word: string }).word) },
    });
    expect(await lockedBy(other)).toEqual({ dead: null, alive: 'worker-alive' });
    const queues = await other.query('SELECT queue_name, locked_by FROM graphile_worker._private_job_queues ORDER BY queue_name');
    expect(queues.rows).toEqual([
      { queue_name: 've:alive', locked_by: 'worker-alive' },
      { queue_name: 've:dead', locked_by: null },
    ]);

    await other.query(`SELECT graphile_worker.add_job('test.echo', '{"word":"hi"}'::json)`);
    const until = Date.now() + 10_000;
    while (!ran.length && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(ran).toEqual(['hi']);
    // Our own worker and its pool (whose id graphile writes to locked_by) now hold their liveness
    // locks, so a panel starting next to us would not free its jobs.
    const held = await other.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND pid <> pg_backend_pid()`, [0x767a_0002]);
    expect(held.rows[0].n).toBe(2);
  });
});

describe('a task interrupted on its last attempt', () => {
  it('runs again before the later jobs of its queue (a create must not run after the stops queued behind it)', async () => {
    const odb = await createTestDatabase();
    let w: PanelWorker | undefined;
    try {
      await runMigrations({ connectionString: odb.url });
      const ran: string[] = [];
      registerTaskHandler({ type: 'test.order', run: async (ctx) => void ran.push((ctx.task.params as { word: string }).word) });
      const first = await enqueueTask(odb.prisma, { type: 'test.order', params: { word: 'create' }, queue: 've:order' });
      await new Promise((r) => setTimeout(r, 20));
      await enqueueTask(odb.prisma, { type: 'test.order', params: { word: 'stop' }, queue: 've:order' });
      // A panel killed while running `first` on its last attempt: job and queue locked by a dead worker.
      await odb.prisma.task.update({ where: { id: first.id }, data: { status: 'running', attempts: 3 } });
      await odb.prisma.$executeRaw`UPDATE graphile_worker._private_jobs SET attempts = max_attempts, locked_by = 'worker-gone', locked_at = now() WHERE key = ${first.id}`;
      await odb.prisma.$executeRaw`UPDATE graphile_worker._private_job_queues SET locked_by = 'worker-gone', locked_at = now() WHERE queue_name = 've:order'`;

      w = await startWorker({ connectionString: odb.url, prisma: odb.prisma, concurrency: 2 });
      const until = Date.now() + 15_000;
      while (ran.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(ran).toEqual(['create', 'stop']);
      expect((await odb.prisma.task.findUniqueOrThrow({ where: { id: first.id } })).status).toBe('succeeded');
    } finally {
      await w?.stop();
      await odb.drop();
    }
  });
});

describe('the dead-worker sweep', () => {
  it('leaves a job this process is running alone: a long task runs once, not again beside itself', async () => {
    const odb = await createTestDatabase();
    let w: PanelWorker | undefined;
    try {
      await runMigrations({ connectionString: odb.url });
      let runs = 0;
      registerTaskHandler({ type: 'test.slow', run: async () => { runs++; await new Promise((r) => setTimeout(r, 3000)); } });
      w = await startWorker({ connectionString: odb.url, prisma: odb.prisma, concurrency: 2, sweepIntervalMs: 300 });
      const t = await enqueueTask(odb.prisma, { type: 'test.slow', params: {}, queue: 've:slow' });
      const until = Date.now() + 20_000;
      while ((await odb.prisma.task.findUniqueOrThrow({ where: { id: t.id } })).status !== 'succeeded' && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect((await odb.prisma.task.findUniqueOrThrow({ where: { id: t.id } })).status).toBe('succeeded');
      expect(runs).toBe(1);
    } finally {
      await w?.stop();
      await odb.drop();
    }
  });
});
