// The usage sampler: every interval, one pass over the kernel's counters for every VE of this
// node (a readdir of the conf and cgroup folders, one read each of /proc/net/dev and mountinfo,
// a few small files held open across passes, and one statfs per VE), no process per VE. Each pass
// becomes one spooled batch.
import path from 'node:path';
import type { Logger } from 'pino';
import type { UsageSample } from '@/agents/protocol/methods/usage';
import { hostFacts } from '../lxc/host-facts';
import { CgroupReader, payloadNames } from './cgroup';
import { OomLog } from './kmsg';
import { fsUsage, listDir, mountedIds, readVethDev } from './read';
import { Spool } from './spool';
import { startKeeper, type KeeperLog } from '../sys/keeper';
import { newStream, nonZero, stitch, zeroCounters, type Counters, type VeStream } from './stitch';

export interface SamplerOptions {
  vzroot: string;
  logger?: Logger;
  intervalMs?: number;
  spoolMaxBytes?: number;
}

/**
 * VEs read between two turns of the event loop. A pass cost 0.62 s of CPU at 3,000 VEs (bench/usage-sampler.ts,
 * 2026-12-07): done in one go, it held the daemon's event loop, and every request that came in meanwhile (a
 * create, a status, the heartbeat), for that long every interval. Now the longest hold is ~30-40 ms.
 */
export const VES_PER_TURN = 64;

/** Lets the event loop run; resolves on its next turn. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One sampling pass: reads, stitches, spools. Every VES_PER_TURN VEs it awaits `between` (the event loop's
 * next turn; a stopping sampler's rejects, which ends the pass before it reads a closed file). Only one pass
 * may run at a time (startSampler's keeper skips a tick while one runs). Exposed for tests and benchmarks.
 */
export async function samplePass(spool: Spool, vzroot: string, oom: OomLog, cgroups: CgroupReader, intervalMs: number, now = Date.now(), between: () => Promise<void> = nextTurn): Promise<number> {
  const cgs = payloadNames(cgroups.v2);
  const net = readVethDev();
  const killed = oom.take();
  const ctids = listDir(path.join(vzroot, 'conf')).map((f) => /^(\d+)\.conf$/.exec(f)?.[1]).filter((x): x is string => !!x).map(Number);
  // VE roots (vePaths().root) with their filesystem mounted; an unmounted one would statfs the host's disk.
  const roots = path.join(vzroot, 'root');
  const mounted = mountedIds(roots);
  const samples: UsageSample[] = [];
  const running = new Set<number>();
  // The streams are stitched on copies, committed after the last turn: a pass cut short between two turns
  // leaves every stream as the last spooled batch had it.
  const next: Record<string, VeStream> = {};
  for (const [i, ctid] of ctids.entries()) {
    if (i > 0 && i % VES_PER_TURN === 0) await between();
    const key = String(ctid);
    const prev = spool.state.ves[key];
    const stream = (next[key] = prev ? { ...prev, tot: { ...prev.tot } } : newStream());
    const name = cgs.get(ctid);
    const cg = name ? cgroups.read(ctid, name) : undefined;
    const disk = mounted.has(ctid) ? fsUsage(`${roots}/${ctid}`) : undefined;
    const diskFields = disk ? { diskUsed: disk.used, diskTotal: disk.total, inodesUsed: disk.inodesUsed, inodesTotal: disk.inodesTotal } : {};
    if (!cg) {
      // Stopped: nothing grows; the next start is a new cgroup, so its counters count from 0.
      stream.cg = undefined;
      samples.push({ ctid, running: false, epoch: stream.epoch, delta: zeroCounters(), memBytes: 0, swapBytes: 0, pids: 0, ...diskFields });
      continue;
    }
    running.add(ctid);
    // The host side of the VE's veth: what it receives the VE sent, and the other way round.
    const veth = net.get(ctid);
    const { id, raw: c } = cg;
    const raw: Counters = {
      cpuNs: c.cpuNs, rdBytes: c.rdBytes, wrBytes: c.wrBytes, rdIos: c.rdIos, wrIos: c.wrIos,
      memFail: c.memFail, swapFail: c.swapFail, oomKill: c.oomKill, throttled: c.throttled, throttledNs: c.throttledNs, pidsMax: c.pidsMax,
      netIn: veth?.txBytes ?? 0, netOut: veth?.rxBytes ?? 0, pktIn: veth?.txPackets ?? 0, pktOut: veth?.rxPackets ?? 0,
    };
    const delta = stitch(stream, id, raw);
    const names = killed.get(ctid);
    samples.push({
      ctid, running: true, epoch: stream.epoch, delta: nonZero(delta) as Counters,
      memBytes: c.memBytes, swapBytes: c.swapBytes, pids: c.pids,
      ...diskFields, ...(names && delta.oomKill ? { oomTasks: names } : {}),
    });
  }
  // A VE that left the node (destroyed, migrated away) is forgotten; coming back starts a new stream.
  spool.state.ves = next;
  cgroups.sweep(running);
  return spool.append({ ts: now, intervalMs, samples });
}

const silent: KeeperLog = { warn: () => undefined, info: () => undefined };

const spools = new Map<string, Spool>();

/** The spool of a vzroot (shared by the sampler and the usage.pull handler). */
export function spoolFor(vzroot: string, maxBytes?: number): Spool {
  let s = spools.get(vzroot);
  if (!s) spools.set(vzroot, (s = new Spool(vzroot, { maxBytes })));
  return s;
}

/** Starts sampling every `intervalMs` (default 10 s; VZ_USAGE_INTERVAL_MS overrides). Returns a stop function. */
export function startSampler(o: SamplerOptions): () => void {
  const intervalMs = o.intervalMs ?? Number(process.env.VZ_USAGE_INTERVAL_MS ?? 10_000);
  const maxBytes = o.spoolMaxBytes ?? (process.env.VZ_USAGE_SPOOL_MB ? Number(process.env.VZ_USAGE_SPOOL_MB) * 1024 * 1024 : undefined);
  const spool = spoolFor(o.vzroot, maxBytes);
  const oom = new OomLog();
  const cgroups = new CgroupReader(hostFacts().version === 'v2');
  let dropped = 0;
  let stopped = false;
  const stopping = new Error('sampler stopped');
  // The pass resumes only through this turn, so once stopped it ends there, before it reads a closed file.
  const between = async () => {
    await nextTurn();
    if (stopped) throw stopping;
  };
  const pass = async () => {
    if (stopped) return; // the first pass waits a turn: the sampler may be stopped by then
    await samplePass(spool, o.vzroot, oom, cgroups, intervalMs, Date.now(), between).catch((err: unknown) => {
      if (err !== stopping) throw err;
    });
    if (spool.dropped > dropped) {
      o.logger?.warn({ dropped: spool.dropped - dropped, pending: spool.pending }, 'usage spool full: oldest batches dropped');
      dropped = spool.dropped;
    }
  };
  // A pass longer than the interval makes the next tick skip, not overlap (startKeeper).
  const stopKeeper = startKeeper({ what: 'usage sampling', everyMs: intervalMs, log: o.logger ?? silent, first: () => nextTurn().then(pass), each: pass });
  return () => {
    stopKeeper();
    stopped = true;
    oom.close();
    cgroups.close();
  };
}
