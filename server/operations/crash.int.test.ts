// kill -9 of the panel's worker process in the middle of creates and of 50 mixed tasks (real LXC, Postgres, vzagentd).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { closeAll } from '@/server/nodes/pool';
import { runMigrations } from 'graphile-worker';
import { enqueueTask, type EnqueueInput } from '@/server/services/tasks/enqueue';
import { startWorker, type PanelWorker } from './worker';

const FIXTURE = path.resolve(import.meta.dirname, '../../test/fixtures/panel-worker.ts');
let db: TestDatabase;
let N: PanelTestNode;
const children = new Set<ChildProcess>();
let worker: PanelWorker | undefined;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  await runMigrations({ connectionString: db.url });
  N = await makePanelTestNode(db.prisma);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await worker?.stop();
  await closeAll();
  await N?.cleanup();
  await db?.drop();
});

/**
 * Starts the worker in a child process (waitFor a marker it prints: READY once the worker runs).
 * `held`: it loads its modules now (seconds of the test's time per worker on the loaded suite) but
 * starts the worker only at go(), so it can load while the worker before it still runs and is killed.
 */
function spawnWorker(env: Record<string, string> = {}, opts: { held?: boolean } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn', ...env, ...(opts.held ? { VZ_TEST_START_ON_STDIN: '1' } : {}) },
    stdio: [opts.held ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d) => { out += String(d); waiters.forEach((w) => w()); });
  child.stderr!.on('data', (d) => { out += String(d); });
  const exited = new Promise<void>((r) => child.once('exit', () => { children.delete(child); r(); }));
  return {
    child,
    output: () => out,
    waitFor: (marker: string, ms = 90_000) => new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`worker never printed ${marker}:\n${out.slice(-3000)}`)), ms);
      const check = () => { if (out.includes(marker)) { clearTimeout(t); resolve(); } };
      waiters.push(check);
      check();
    }),
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    /** A held worker: start it (once it has loaded). */
    async go() {
      await this.waitFor('LOADED');
      child.stdin!.write('go\n');
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function addressesOf(veId: string) {
  return db.prisma.ipAddress.count({ where: { veId } });
}

describe('kill -9 of the panel during a create', () => {
  it('each create ends succeeded (exactly one container) or failed (none), and no address leaks', { timeout: 600_000 }, async () => {
    const cases: Array<{ point: 'before' | 'during' | 'after'; fail?: boolean }> = [
      { point: 'before' }, { point: 'during' }, { point: 'after' }, { point: 'after', fail: true },
    ];
    const results: Array<{ veId: string; ctid: number; status: string; fail?: boolean }> = [];
    for (const c of cases) {
      const ve = await N.createVe();
      let blocker: number | undefined;
      if (c.fail) {
        // Another container already holds the address the panel gave this VE: the agent refuses (IP_IN_USE).
        blocker = ve.ctid + 500;
        await N.agent().call('ve.create', { ctid: blocker, ostemplate: 'busybox', ips: [`${ve.addresses[0]}/24`], ram: 64 * 2 ** 20, diskspace: 64 * 2 ** 20, diskinodes: 8192 }, { opId: `blocker-${blocker}` });
      }
      const w = spawnWorker({ VZ_TEST_HANG: `${c.point}:ve.create` });
      const again = spawnWorker({}, { held: true }); // started only after the kill below
      await w.waitFor(`MARK ${c.point} ve.create`);
      // "during": kill once the agent is inside ve.create (its progress reached the task row).
      for (const until = Date.now() + 10_000; c.point === 'during' && Date.now() < until;) {
        if ((await db.prisma.task.findUniqueOrThrow({ where: { id: ve.taskId } })).progress > 10) break;
        await sleep(5);
      }
      await w.kill9();
      expect((await db.prisma.task.findUniqueOrThrow({ where: { id: ve.taskId } })).status).toBe('running');

      await again.go();
      await again.waitFor('READY');
      const [t] = await waitTasksDone(db.prisma, [ve.taskId], 180_000);
      await again.kill9();
      results.push({ veId: ve.veId, ctid: ve.ctid, status: t.status, fail: c.fail });
      const { ves } = await N.agent().call('ve.list', {});
      if (c.fail) {
        expect(t.status, `${c.point}: ${t.error}`).toBe('failed');
        expect(t.error).toMatch(/already used/);
        expect(ves.filter((v) => v.ctid === ve.ctid)).toHaveLength(0);
        expect(await addressesOf(ve.veId)).toBe(0);
        await N.agent().call('ve.destroy', { ctid: blocker! }, { opId: `blocker-rm-${blocker}` });
      } else {
        expect(t.status, `${c.point}: ${t.error}`).toBe('succeeded');
        expect(t.attempts).toBe(2);
        expect(ves.filter((v) => v.ctid === ve.ctid)).toHaveLength(1);
        expect(await N.lxcState(ve.ctid)).toBe('RUNNING');
        expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.veId } })).state).toBe('running');
        expect(await addressesOf(ve.veId)).toBe(1);
      }
    }
    // Every bound address belongs to a VE whose create succeeded.
    const bound = await db.prisma.ipAddress.count({ where: { poolId: N.poolId, veId: { not: null } } });
    expect(bound).toBe(results.filter((r) => r.status === 'succeeded').length);
  });
});

describe('kill -9 of the panel while 50 mixed tasks run', () => {
  it('after restarts, no task stays queued or running, and the panel agrees with LXC', { timeout: 900_000 }, async () => {
    const ves = [] as Array<Awaited<ReturnType<PanelTestNode['createVe']>>>;
    for (let i = 0; i < 5; i++) ves.push(await N.createVe());
    const kinds = [{ type: 've.kill' }, { type: 've.start' }, { type: 've.restart' }, { type: 've.stop', params: { timeoutSec: 2 } }, { type: 've.set', params: { limits: { numproc: 100 } } }];
    const tasks = await Promise.all(Array.from({ length: 45 }, (_, i) => {
      const ve = ves[i % ves.length];
      const k = kinds[i % kinds.length];
      return enqueueTask(db.prisma, { type: k.type, params: k.params ?? {}, veId: ve.veId, ctid: ve.ctid, nodeId: N.node.id } as EnqueueInput);
    }));
    const ids = [...ves.map((v) => v.taskId), ...tasks.map((t) => t.id)];
    expect(ids).toHaveLength(50);
    // Three workers die hard mid-flight, each after some tasks have started.
    // Each next worker loads while the one before runs; it starts only once that one is dead.
    let next = spawnWorker({ VZ_TEST_CONCURRENCY: '4' }, { held: true });
    for (const [i, waitMs] of [3_000, 2_500, 2_000].entries()) {
      const w = next;
      await w.go();
      await w.waitFor('READY');
      if (i < 2) next = spawnWorker({ VZ_TEST_CONCURRENCY: '4' }, { held: true });
      await sleep(waitMs);
      await w.kill9();
    }
    const running = await db.prisma.task.count({ where: { id: { in: ids }, status: 'running' } });
    worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 4 });
    const done = await waitTasksDone(db.prisma, ids, 600_000);
    expect(done.filter((t) => t.status === 'queued' || t.status === 'running')).toEqual([]);
    expect(running + done.filter((t) => t.attempts > 1).length).toBeGreaterThan(0); // some were really interrupted
    const onNode = new Map((await N.agent().call('ve.list', {})).ves.map((v) => [v.ctid, v]));
    for (const ve of ves) {
      const create = done.find((t) => t.id === ve.taskId)!;
      expect(create.status, create.error ?? '').toBe('succeeded');
      expect(onNode.has(ve.ctid)).toBe(true);
      const row = await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.veId } });
      const lxc = await N.lxcState(ve.ctid);
      expect([ve.ctid, row.state]).toEqual([ve.ctid, lxc === 'RUNNING' ? 'running' : 'stopped']);
      expect(await addressesOf(ve.veId)).toBe(1);
    }
  });
});
