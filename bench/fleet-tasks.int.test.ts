// The task queue's code paths at CI size (issue 15): 20 simulated nodes (fake agents on unix
// sockets, the real protocol, progress notifications) x 30 VEs, 300 power actions queued the API's
// way and run by the real graphile-worker runner, which reaches the nodes over the `socket` transport
// (startWorker's specFor). Asserts every task finished and every VE row matches its node, also with
// the node monitor and the reconciler running beside the queue. No timing assertions
// (bench/fleet-tasks.ts measures at 200 nodes).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { startFakeAgent, type FakeAgent } from '@/test/fixtures/fake-agent';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { startNodeMonitor } from '@/server/operations/node-monitor';
import { startReconciler } from '@/server/operations/reconciler';
import { closeAll } from '@/server/nodes/pool';
import { enqueuePower, powerMix, seedSimFleet, simSpec, simVes, stateMismatches, waitDrained, type SimNode } from './lib/fleet-tasks';

const NODES = 20;
const VES = 30;
const BASE = 175_000; // h175: ctids of our own

let db: TestDatabase;
let worker: PanelWorker | undefined;
let fleet: SimNode[];
const agents: FakeAgent[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'h175-fleet-tasks-'));

const open = (ids: string[]) => db.prisma.task.count({ where: { id: { in: ids }, status: { in: ['queued', 'running'] } } });
const jobsLeft = async () => Number((await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker._private_jobs`)[0].n);

beforeAll(async () => {
  db = await createTestDatabase();
  for (let n = 0; n < NODES; n++) agents.push(await startFakeAgent({ vzroot: path.join(dir, `node${n}`), ves: simVes(n, VES, BASE), powerMs: 400 }));
  fleet = await seedSimFleet(db.prisma, { dir, nodes: NODES, ves: VES, base: BASE });
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 8, sweepIntervalMs: 3_600_000, specFor: simSpec });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await closeAll();
  await Promise.all(agents.map((a) => a.close()));
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('task queue against 20 simulated nodes', () => {
  it('runs 300 power actions over the socket transport: all succeed, progress streamed, every VE matches its node', async () => {
    const items = await powerMix(db.prisma, fleet, 300);
    expect(new Set(items.map((i) => i.action))).toEqual(new Set(['start', 'stop', 'restart']));
    // Some of them carry an open power-state drift and a hostname drift: the power task decides the
    // first (one UPDATE, setPowerState) and leaves the second alone.
    const drifted = items.slice(0, 20).map((i) => i.veId);
    const drift = { state: { panel: 'running', node: 'stopped', since: '2026-12-01T00:00:00.000Z' }, hostname: { panel: 'a.test', node: 'b.test', since: '2026-12-01T00:00:00.000Z' } };
    await db.prisma.ve.updateMany({ where: { id: { in: drifted } }, data: { drift, updatedAt: new Date('2026-12-01T00:00:00Z') } });
    const queuedAt = Date.now();
    const { taskIds } = await enqueuePower(db.prisma, items, 8);
    expect(await waitDrained(open, taskIds, 240_000)).toBe(true);
    const tasks = await db.prisma.task.findMany({ where: { id: { in: taskIds } }, select: { status: true, progress: true, error: true } });
    expect(tasks.filter((t) => t.status !== 'succeeded')).toEqual([]);
    expect(tasks.every((t) => t.progress === 100)).toBe(true);
    expect(await jobsLeft()).toBe(0);
    expect(await stateMismatches(db.prisma, fleet)).toEqual([]);
    const after = await db.prisma.ve.findMany({ where: { id: { in: drifted } }, select: { drift: true, updatedAt: true } });
    expect(after.map((v) => v.drift)).toEqual(Array(20).fill({ hostname: drift.hostname }));
    // updatedAt is this process's clock in UTC, as Prisma writes it (the reconciler's delta feed reads it).
    for (const v of after) expect(Math.abs(v.updatedAt.getTime() - queuedAt)).toBeLessThan(240_000);
    expect(after.every((v) => v.updatedAt.getTime() >= queuedAt - 1000)).toBe(true);
    // Every node got its share (15 each), and each action reached the node it names.
    expect(agents.map((a) => (a.calls.get('ve.start') ?? 0) + (a.calls.get('ve.stop') ?? 0) + (a.calls.get('ve.restart') ?? 0))).toEqual(Array(NODES).fill(15));
  }, 300_000);

  it('a second wave with the node monitor and the reconciler running beside the queue: no task left, no drift', async () => {
    // The first test's made-up hostname drift goes: the passes here must find none of their own.
    await db.prisma.ve.updateMany({ data: { drift: {} } });
    const monitor = startNodeMonitor({ prisma: db.prisma, intervalMs: 3_600_000, specFor: simSpec });
    const reconciler = startReconciler({ prisma: db.prisma, intervalMs: 3_600_000, specFor: simSpec });
    try {
      const items = await powerMix(db.prisma, fleet, 300, 15);
      const { taskIds } = await enqueuePower(db.prisma, items, 8);
      let passes = 0;
      const drained = waitDrained(open, taskIds, 240_000);
      let done = false;
      void drained.finally(() => (done = true));
      while (!done) {
        await monitor.tick();
        await reconciler.tick();
        passes++;
      }
      expect(await drained).toBe(true);
      expect(passes).toBeGreaterThan(0);
      expect(await db.prisma.task.count({ where: { id: { in: taskIds }, status: { not: 'succeeded' } } })).toBe(0);
      expect(await jobsLeft()).toBe(0);
      // A pass after the drain finds the panel and the nodes agreeing.
      await reconciler.tick();
      expect(await stateMismatches(db.prisma, fleet)).toEqual([]);
      expect(await db.prisma.ve.count({ where: { NOT: { drift: { equals: {} } } } })).toBe(0);
      expect(await db.prisma.node.count({ where: { state: 'online' } })).toBe(NODES);
    } finally {
      await monitor.stop();
      await reconciler.stop();
    }
  }, 300_000);
});
