// One measured phase: create+start of N VEs (serial or k at a time) on one path, a memory
// snapshot while they all run, then a teardown. Both paths go through the same code.
import { median, now, pool, timed } from './stats';
import { cgroupMemoryBytes, hostUsedBytes, monitorsPss, rssBytes } from './memory';

export interface PathOps {
  name: 'raw' | 'agent';
  lxcpath: string;
  create(ctid: number, ip: string): Promise<unknown>;
  start(ctid: number): Promise<unknown>;
  /** create+start as the product does it in one go (the agent's ve.create start:true); else create then start. */
  createStarted?(ctid: number, ip: string): Promise<unknown>;
  stop(ctid: number): Promise<void>;
  destroy(ctid: number): Promise<void>;
  initPid(ctid: number): Promise<number>;
  /** Host CPU ms spent so far by the processes doing this path's work (monotonic counter). */
  cpuMs(): Promise<number>;
  /** The agent daemon's pid (its RSS growth counts as per-VE host memory). */
  daemonPid?: number;
}

export interface BatchResult {
  path: 'raw' | 'agent' | 'proto';
  n: number;
  concurrency: number;
  totalMs: number;
  /** Host CPU ms used by the path's processes (not the containers) during create+start, per VE. */
  cpuMsPerVe: number;
  /** create+start of each VE, ms. */
  perVeMs: number[];
  memory: {
    monitors: number;
    monitorPssPerVe: number;
    daemonRssBefore?: number;
    daemonRssWithVes?: number;
    daemonRssAfterTeardown?: number;
    daemonGrowthPerVe?: number;
    cgroupMedian: number;
    hostUsedDeltaPerVe: number;
  };
  teardownMs: number;
}

export async function runBatch(p: PathOps, ctids: number[], ip: (slot: number) => string, concurrency: number, teardownConcurrency = concurrency): Promise<BatchResult> {
  const hostBefore = await hostUsedBytes();
  const daemonRssBefore = p.daemonPid ? await rssBytes(p.daemonPid) : undefined;
  const cpu0 = await p.cpuMs();
  const t0 = now();
  const perVeMs = await pool(ctids, concurrency, async (c, i) => {
    const [, ms] = await timed(async () => {
      if (p.createStarted) return p.createStarted(c, ip(i));
      await p.create(c, ip(i));
      await p.start(c);
    });
    return ms;
  });
  const totalMs = now() - t0;
  const cpuMsPerVe = (await p.cpuMs() - cpu0) / ctids.length;
  await new Promise((r) => setTimeout(r, 1500)); // let init's children settle before measuring memory
  const mons = await monitorsPss(p.lxcpath);
  const pids = await Promise.all(ctids.map((c) => p.initPid(c)));
  // A timing only counts if every container really runs.
  const dead = ctids.filter((_, i) => !(pids[i] > 0));
  if (dead.length) throw new Error(`${p.name}: ${dead.length} containers are not running after start (e.g. ${dead[0]})`);
  const cg = await Promise.all(pids.map(cgroupMemoryBytes));
  const hostWith = await hostUsedBytes();
  const daemonRssWithVes = p.daemonPid ? await rssBytes(p.daemonPid) : undefined;
  const [, teardownMs] = await timed(() => pool(ctids, teardownConcurrency, async (c) => {
    await p.stop(c);
    await p.destroy(c);
  }));
  const daemonRssAfterTeardown = p.daemonPid ? await rssBytes(p.daemonPid) : undefined;
  return {
    path: p.name, n: ctids.length, concurrency, totalMs, cpuMsPerVe, perVeMs, teardownMs,
    memory: {
      monitors: mons.count,
      monitorPssPerVe: mons.count ? mons.bytes / mons.count : NaN,
      daemonRssBefore, daemonRssWithVes, daemonRssAfterTeardown,
      daemonGrowthPerVe: daemonRssBefore !== undefined && daemonRssWithVes !== undefined ? (daemonRssWithVes - daemonRssBefore) / ctids.length : undefined,
      cgroupMedian: median(cg.filter(Number.isFinite)),
      hostUsedDeltaPerVe: (hostWith - hostBefore) / ctids.length,
    },
  };
}
