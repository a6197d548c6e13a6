// Issue 15: the task queue at fleet size. Simulated nodes (fake agents in a child process: the real
// protocol over unix sockets, progress every 200 ms, no containers) x --ves VEs; two waves of --tasks
// power actions (start/stop/restart, the same number on every node) queued the API's way
// (requestPowerAction, --clients at once) and run by the panel's real graphile-worker runner
// (startWorker, --concurrency jobs at once) reaching each node over the `socket` transport.
// Wave A: the queue alone. Wave B: the same with node-monitor passes (5 s apart, as the panel runs
// them) and reconcile passes (--reconcile-gap-ms apart, 10 s; the panel's is 60 s) beside it.
// Measures enqueue rate, queue wait and run time p50/p95/p99, tasks/s end to end, Postgres
// statements per task (counted at the pg client: every statement of this process), this process's
// and Postgres's CPU, lock waits (pg_stat_activity sampled), the most power operations at once per
// node, then checks no task is left queued/running and every VE row matches its node.
// Usage: npx tsx bench/fleet-tasks.ts [--nodes 200] [--ves 100] [--tasks 2000] [--concurrency 4]
//        [--clients 16] [--power-ms 400] [--pool 10] [--monitor-gap-ms 5000] [--reconcile-gap-ms 10000]
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { flag } from '@/agents/src/daemon/config';
import { startNodeMonitor } from '@/server/operations/node-monitor';
import { startReconciler } from '@/server/operations/reconciler';
import { startWorker } from '@/server/operations/worker';
import { closeAll } from '@/server/nodes/pool';
import type { PrismaClient } from '@/server/db/client';
import { benchDatabase, runBench } from './lib/db';
import { enqueuePower, powerMix, seedSimFleet, simSpec, stateMismatches, taskTimes, waitDrained, type SimNode } from './lib/fleet-tasks';
import { cpuOf, processTable } from './lib/proc-cpu';
import { median, now, percentile, round } from './lib/stats';

const num = (k: string, d: number) => Number(flag(process.argv, k) ?? d);
const o = { nodes: num('nodes', 200), ves: num('ves', 100), tasks: num('tasks', 2000), concurrency: num('concurrency', 4), clients: num('clients', 16), powerMs: num('power-ms', 400), pool: num('pool', 10),
  // Wave B's cadence: the monitor's own 5 s; the reconciler more often than its 60 s, to be seen during the wave.
  monitorGapMs: num('monitor-gap-ms', 5000), reconcileGapMs: num('reconcile-gap-ms', 10_000) };
if (Math.ceil(o.tasks / o.nodes) * 2 > o.ves) throw new Error('--tasks: two waves need 2 x tasks/nodes VEs per node at most --ves');

// Every statement this process sends (Prisma's pool, graphile-worker's pool), by kind; the probe's own are not counted.
const PROBE = Symbol('probe');
const stmts = new Map<string, number>();
const origQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client & { [PROBE]?: true }, ...args: unknown[]) {
  if (!this[PROBE]) {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '?');
    const kind = text.replace(/\s+/g, ' ').trim().slice(0, 70);
    stmts.set(kind, (stmts.get(kind) ?? 0) + 1);
  }
  return (origQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;
const totalStmts = () => [...stmts.values()].reduce((s, n) => s + n, 0);

const stopAll: Array<() => Promise<unknown>> = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'h175-fleet-tasks-'));
const pgDir = mkdtempSync(path.join(os.tmpdir(), 'h175-fleet-tasks-pg-'));
const uptime = () => os.loadavg().map((x) => round(x)).join(' ');
const pct = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p95: round(percentile(xs, 95)), p99: round(percentile(xs, 99)), max: round(Math.max(...xs)) });

type Child = ReturnType<typeof fork>;
function ask<T>(child: Child, msg: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      child.off('message', on);
      resolve(m[key] as T);
    };
    child.on('message', on);
    if (msg) child.send(msg);
  });
}

async function pgCpuMs(): Promise<number> {
  const procs = await processTable();
  const pm = procs.find((p) => p.cmd.includes(pgDir) && p.cmd.includes('postgres'));
  return pm ? cpuOf((p) => p.pid === pm.pid || p.ppid === pm.pid) : NaN;
}

const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Lock waits seen by sampling pg_stat_activity every 100 ms until stopped. */
function lockSampler(probe: pg.Client) {
  let samples = 0;
  let waiting = 0;
  let most = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const r = await probe.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`);
      samples++;
      waiting += r.rows[0].n;
      most = Math.max(most, r.rows[0].n);
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return { samples, meanWaiting: round(waiting / Math.max(1, samples), 3), mostWaiting: most };
  };
}

async function wave(name: string, prisma: PrismaClient, probe: pg.Client, fleet: SimNode[], skip: number, busy?: (over: () => boolean) => Promise<{ monitor: number[]; reconcile: number[] }>) {
  const items = await powerMix(prisma, fleet, o.tasks, skip);
  const [cpu0, pg0, st0, t0] = [selfCpuMs(), await pgCpuMs(), totalStmts(), now()];
  const kinds0 = new Map(stmts);
  const locks = lockSampler(probe);
  const open = async (ids: string[]) => (await probe.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Task" WHERE id = ANY($1) AND status IN ('queued', 'running')`, [ids])).rows[0].n;
  let over = false;
  // The passes run from the first request until the drain ends.
  const busyDone = busy?.(() => over);
  const enq = await enqueuePower(prisma, items, o.clients);
  const drained = await waitDrained(open, enq.taskIds, 900_000, 100);
  const wallMs = now() - t0;
  over = true;
  const passes = await busyDone;
  const lockStats = await locks();
  const [cpu1, pg1, st1] = [selfCpuMs(), await pgCpuMs(), totalStmts()];
  const times = await taskTimes(prisma, enq.taskIds);
  const perKind = [...stmts].map(([k, n]) => [k, n - (kinds0.get(k) ?? 0)] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const n = enq.taskIds.length;
  const actions = items.reduce<Record<string, number>>((m, i) => ({ ...m, [i.action]: (m[i.action] ?? 0) + 1 }), {});
  const out = {
    wave: name, tasks: n, actions, drained, statuses: times.statuses, retried: times.retried,
    enqueueMs: round(enq.ms), enqueuePerS: round((n * 1000) / enq.ms), enqueueCallMs: pct(enq.perTaskMs),
    queueWaitMs: pct(times.waitMs), runMs: pct(times.runMs),
    endToEndMs: times.spanMs, tasksPerS: round((n * 1000) / times.spanMs), wallMs: round(wallMs),
    // Agent time alone bounds the drain at concurrency / power-ms tasks per second.
    agentBoundPerS: round((o.concurrency * 1000) / o.powerMs),
    panelCpuMs: round(cpu1 - cpu0), panelCpuMsPerTask: round((cpu1 - cpu0) / n), postgresCpuMs: round(pg1 - pg0), postgresCpuMsPerTask: round((pg1 - pg0) / n),
    statements: st1 - st0, statementsPerTask: round((st1 - st0) / n),
    topStatementsPerTask: perKind.slice(0, 14).map(([k, c]) => ({ perTask: round(c / n, 2), sql: k })),
    locks: lockStats,
    ...(passes ? {
      busyPasses: { monitor: passes.monitor.length, reconcile: passes.reconcile.length },
      busyMonitorMs: { median: round(median(passes.monitor)), max: round(Math.max(...passes.monitor)) },
      busyReconcileMs: { median: round(median(passes.reconcile)), max: round(Math.max(...passes.reconcile)) },
    } : {}),
  };
  console.log(JSON.stringify(out, null, 2));
  return out;
}

async function main() {
  console.log(`uptime load ${uptime()}; ${o.nodes} nodes x ${o.ves} VEs, ${o.tasks} tasks a wave, concurrency ${o.concurrency}, ${o.clients} clients, power ${o.powerMs} ms`);
  const { url, prisma } = await benchDatabase(pgDir, stopAll, o.pool);
  const probe = Object.assign(new pg.Client({ connectionString: url }), { [PROBE]: true });
  await probe.connect();
  stopAll.unshift(() => probe.end());
  const child = fork(path.join(import.meta.dirname, 'lib/fake-fleet-child.ts'), [dir, String(o.nodes), String(o.ves), String(o.powerMs)], { execArgv: ['--import', 'tsx'] });
  stopAll.unshift(async () => {
    child.send('close');
    await new Promise((r) => child.once('exit', r));
  });
  await ask(child, '', 'ready');
  const fleet = await seedSimFleet(prisma, { dir, nodes: o.nodes, ves: o.ves });
  const worker = await startWorker({ connectionString: url, prisma, concurrency: o.concurrency, sweepIntervalMs: 3_600_000, specFor: simSpec });
  const monitor = startNodeMonitor({ prisma, intervalMs: 3_600_000, callTimeoutMs: 60_000, specFor: simSpec });
  const reconciler = startReconciler({ prisma, intervalMs: 3_600_000, specFor: simSpec });
  stopAll.unshift(() => closeAll(), () => worker.stop(), () => monitor.stop(), () => reconciler.stop());

  // Monitor and reconcile passes back to back, timed, while `more()` says so.
  const passes = async (more: (round: number) => boolean) => {
    const p = { monitor: [] as number[], reconcile: [] as number[] };
    for (let r = 0; more(r); r++) {
      let t = now();
      await monitor.tick();
      p.monitor.push(now() - t);
      t = now();
      await reconciler.tick();
      p.reconcile.push(now() - t);
    }
    return p;
  };
  // Idle passes first (the first opens every node's connection: reported apart).
  const idle = await passes((r) => r < 3);
  console.log(`idle passes: monitor ${idle.monitor.map((x) => round(x)).join(', ')} ms; reconcile ${idle.reconcile.map((x) => round(x)).join(', ')} ms`);

  const a = await wave('A: queue alone', prisma, probe, fleet, 0);
  const perNode = Math.ceil(o.tasks / o.nodes);
  // Each loop at its own cadence, as the panel runs them: a pass, then the gap.
  const every = async (gapMs: number, over: () => boolean, pass: () => Promise<unknown>) => {
    const times: number[] = [];
    while (!over()) {
      const t = now();
      await pass();
      times.push(now() - t);
      for (const end = Date.now() + gapMs; !over() && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
    }
    return times;
  };
  const busy = async (over: () => boolean) => {
    const [monitorMs, reconcileMs] = await Promise.all([every(o.monitorGapMs, over, () => monitor.tick()), every(o.reconcileGapMs, over, () => reconciler.tick())]);
    return { monitor: monitorMs, reconcile: reconcileMs };
  };
  const b = await wave('B: queue + monitor/reconcile passes', prisma, probe, fleet, perNode, busy);

  // After the drain: nothing queued or running anywhere, no job left, rows equal the nodes.
  const leftOpen = await prisma.task.count({ where: { status: { in: ['queued', 'running'] } } });
  const jobsLeft = (await probe.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')).rows[0].n;
  const mismatches = await stateMismatches(prisma, fleet);
  const stats = await ask<{ powerCalls: number; maxAtOnce: number }[]>(child, 'stats', 'stats');
  const atOnce = stats.map((s) => s.maxAtOnce);
  const out = {
    command: `npx tsx bench/fleet-tasks.ts ${process.argv.slice(2).join(' ')}`.trim(), at: new Date().toISOString(), loadAverageEnd: os.loadavg(), options: o,
    idle: { monitorFirstMs: round(idle.monitor[0]), monitorMs: idle.monitor.slice(1).map((x) => round(x)), reconcileFirstMs: round(idle.reconcile[0]), reconcileMs: idle.reconcile.slice(1).map((x) => round(x)) },
    waves: [a, b],
    afterDrain: {
      tasksQueuedOrRunning: leftOpen, jobsLeft, veStateMismatches: mismatches.length, firstMismatches: mismatches.slice(0, 5),
      powerCallsPerNode: { min: Math.min(...stats.map((s) => s.powerCalls)), max: Math.max(...stats.map((s) => s.powerCalls)) },
      // Per-node contention: the most power operations a node had at once (the queue has no per-node lock).
      mostAtOnceOnANode: Math.max(...atOnce), medianMostAtOnce: median(atOnce),
    },
  };
  console.log(JSON.stringify(out.afterDrain, null, 2));
  console.log(`uptime load at end ${uptime()}`);
  const resDir = path.resolve(import.meta.dirname, 'results');
  mkdirSync(resDir, { recursive: true });
  const file = path.join(resDir, `fleet-tasks-${o.nodes}x${o.ves}-${o.tasks}-c${o.concurrency}-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(`written ${path.relative(process.cwd(), file)}`);
  if (leftOpen || jobsLeft || mismatches.length || !a.drained || !b.drained) process.exitCode = 2;
}

runBench(main, stopAll, [dir, pgDir]);
