// The usage sampler: every interval, one pass over the kernel's counters for every VE of this
// node (a readdir of the conf and cgroup folders, one read of /proc/net/dev, a few small files
// and one statfs per VE), no process per VE. Each pass becomes one spooled batch.
import path from 'node:path';
import type { Logger } from 'pino';
import type { UsageSample } from '@/agents/protocol/methods/usage';
import { hostFacts } from '../lxc/host-facts';
import { vePaths } from '../sys/paths';
import { identityDir, payloadNames, readV1, readV2 } from './cgroup';
import { OomLog } from './kmsg';
import { devOf, dirIdentity, listDir, mountedFsUsage, readNetDev } from './read';
import { Spool } from './spool';
import { newStream, nonZero, stitch, zeroCounters, type Counters } from './stitch';

export interface SamplerOptions {
  vzroot: string;
  logger?: Logger;
  intervalMs?: number;
  spoolMaxBytes?: number;
}

/** One sampling pass: reads, stitches, spools. Exposed for tests and benchmarks. */
export function samplePass(spool: Spool, vzroot: string, oom: OomLog, intervalMs: number, now = Date.now()): number {
  const v2 = hostFacts().version === 'v2';
  const cgs = payloadNames(v2);
  const net = readNetDev();
  const killed = oom.take();
  const ctids = listDir(path.join(vzroot, 'conf')).map((f) => /^(\d+)\.conf$/.exec(f)?.[1]).filter((x): x is string => !!x).map(Number);
  const rootDev = devOf(path.join(vzroot, 'root'));
  const samples: UsageSample[] = [];
  const seen = new Set<string>();
  for (const ctid of ctids) {
    const key = String(ctid);
    seen.add(key);
    const stream = (spool.state.ves[key] ??= newStream());
    const name = cgs.get(ctid);
    const id = name && dirIdentity(identityDir(v2, name));
    const disk = mountedFsUsage(vePaths(vzroot, ctid).root, rootDev);
    const diskFields = disk ? { diskUsed: disk.used, diskTotal: disk.total, inodesUsed: disk.inodesUsed, inodesTotal: disk.inodesTotal } : {};
    if (!name || !id) {
      // Stopped: nothing grows; the next start is a new cgroup, so its counters count from 0.
      stream.cg = undefined;
      samples.push({ ctid, running: false, epoch: stream.epoch, delta: zeroCounters(), memBytes: 0, swapBytes: 0, pids: 0, ...diskFields });
      continue;
    }
    const cg = v2 ? readV2(name) : readV1(name);
    // The host side of the VE's veth: what it receives the VE sent, and the other way round.
    const veth = net.get(`veth${ctid}`);
    const raw: Counters = {
      cpuNs: cg.cpuNs, rdBytes: cg.rdBytes, wrBytes: cg.wrBytes, rdIos: cg.rdIos, wrIos: cg.wrIos,
      memFail: cg.memFail, swapFail: cg.swapFail, oomKill: cg.oomKill, throttled: cg.throttled, throttledNs: cg.throttledNs, pidsMax: cg.pidsMax,
      netIn: veth?.txBytes ?? 0, netOut: veth?.rxBytes ?? 0, pktIn: veth?.txPackets ?? 0, pktOut: veth?.rxPackets ?? 0,
    };
    const delta = stitch(stream, id, raw);
    const names = killed.get(ctid);
    samples.push({
      ctid, running: true, epoch: stream.epoch, delta: nonZero(delta) as Counters,
      memBytes: cg.memBytes, swapBytes: cg.swapBytes, pids: cg.pids,
      ...diskFields, ...(names && delta.oomKill ? { oomTasks: names } : {}),
    });
  }
  // A VE that left the node (destroyed, migrated away) is forgotten; coming back starts a new stream.
  for (const key of Object.keys(spool.state.ves)) if (!seen.has(key)) delete spool.state.ves[key];
  return spool.append({ ts: now, intervalMs, samples });
}

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
  let dropped = 0;
  const tick = () => {
    try {
      samplePass(spool, o.vzroot, oom, intervalMs);
      if (spool.dropped > dropped) {
        o.logger?.warn({ dropped: spool.dropped - dropped, pending: spool.pending }, 'usage spool full: oldest batches dropped');
        dropped = spool.dropped;
      }
    } catch (err) {
      o.logger?.error({ err: (err as Error).message }, 'usage sampling pass failed');
    }
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  setImmediate(tick);
  return () => {
    clearInterval(timer);
    oom.close();
  };
}
