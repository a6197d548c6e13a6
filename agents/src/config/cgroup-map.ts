// OpenVZ knobs -> cgroup files, for v1 and v2 behind one function (used for LXC config and live changes).
import type { VeLimits } from './schema';

export type CgroupVersion = 'v1' | 'v2';

export interface CgroupFeatures {
  version: CgroupVersion;
  /** v1: memory.memsw.* exists (swap accounting on). */
  memsw: boolean;
  /** The kernel exposes a settable I/O weight (blkio.weight / io.weight). */
  ioWeight: boolean;
  /** v1: the weight knob is BFQ's blkio.bfq.weight (no CFQ blkio.weight on this kernel). */
  bfqWeight?: boolean;
  /** The host's online CPU ids; known = `cpus` is also a cpuset (nproc and sched_getaffinity inside show it). */
  onlineCpus?: number[];
}

/**
 * The CPUs a VE with `cpus` CPUs is pinned to: `cpus` consecutive online CPUs starting at a place
 * chosen by its ctid (so VEs spread over the host), all of them when `cpus` is 0 or covers the host.
 */
export function cpusetFor(ctid: number, cpus: number, online: number[]): string {
  if (!online.length) throw new Error('no online CPUs');
  if (cpus <= 0 || cpus >= online.length) return online.join(',');
  const start = ctid % online.length;
  return Array.from({ length: cpus }, (_, i) => online[(start + i) % online.length]).sort((x, y) => x - y).join(',');
}

/** Parses a kernel CPU list such as "0-3,8,10-11". */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',').filter(Boolean)) {
    const [a, b = a] = part.split('-').map(Number);
    if (!Number.isInteger(a) || !Number.isInteger(b) || b < a) throw new Error(`bad CPU list ${text}`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

export const CFS_PERIOD_US = 100_000;

/** Effective CPU cap in percent of one core, or 0 for none (cpulimit and cpus both cap). */
export function cpuCapPercent(l: Pick<VeLimits, 'cpulimit' | 'cpus'>): number {
  const caps = [l.cpulimit, l.cpus * 100].filter((x) => x > 0);
  return caps.length ? Math.min(...caps) : 0;
}

const IO_WEIGHT_V2 = [10, 25, 50, 75, 100, 200, 400, 800];

/**
 * Ordered [file, value] pairs. Order matters on v1: the memory limit must be written before
 * memsw when the config is applied at start (memsw >= memory is enforced by the kernel).
 */
export function cgroupSettings(l: VeLimits & { ctid?: number }, f: CgroupFeatures): [string, string][] {
  const cap = cpuCapPercent(l);
  const quota = cap > 0 ? Math.round((cap * CFS_PERIOD_US) / 100) : -1;
  const out: [string, string][] = [];
  if (f.version === 'v1') {
    out.push(['memory.limit_in_bytes', String(l.ram)]);
    if (f.memsw) out.push(['memory.memsw.limit_in_bytes', String(l.ram + l.swap)]);
    out.push(['cpu.shares', String(Math.max(2, Math.round((l.cpuunits * 1024) / 1000)))]);
    out.push(['cpu.cfs_period_us', String(CFS_PERIOD_US)]);
    out.push(['cpu.cfs_quota_us', String(quota)]);
    out.push(['pids.max', l.numproc > 0 ? String(l.numproc) : 'max']);
    if (f.ioWeight) out.push([f.bfqWeight ? 'blkio.bfq.weight' : 'blkio.weight', String(100 + l.ioprio * 128)]);
  } else {
    out.push(['memory.max', String(l.ram)]);
    out.push(['memory.high', String(Math.floor((l.ram * 0.95) / 4096) * 4096)]);
    out.push(['memory.swap.max', String(l.swap)]);
    out.push(['cpu.weight', String(Math.min(10_000, Math.max(1, Math.round(l.cpuunits / 10))))]);
    out.push(['cpu.max', `${quota > 0 ? quota : 'max'} ${CFS_PERIOD_US}`]);
    out.push(['pids.max', l.numproc > 0 ? String(l.numproc) : 'max']);
    if (f.ioWeight) out.push(['io.weight', `default ${IO_WEIGHT_V2[l.ioprio]}`]);
  }
  if (f.onlineCpus?.length && l.ctid !== undefined) out.push(['cpuset.cpus', cpusetFor(l.ctid, l.cpus, f.onlineCpus)]);
  return out;
}

/** The settings to write, in a safe order, when changing limits of a running VE from `prev` to `next`. */
export function liveCgroupChanges(prev: VeLimits & { ctid?: number }, next: VeLimits & { ctid?: number }, f: CgroupFeatures): [string, string][] {
  const before = new Map(cgroupSettings(prev, f));
  const changed = cgroupSettings(next, f).filter(([k, v]) => before.get(k) !== v);
  // v1: when memory grows, raise memsw first; when it shrinks, lower memory first.
  if (f.version === 'v1' && next.ram + next.swap > prev.ram + prev.swap) {
    changed.sort((a, b) => Number(b[0] === 'memory.memsw.limit_in_bytes') - Number(a[0] === 'memory.memsw.limit_in_bytes'));
  }
  return changed;
}

/**
 * Throttle rules for one block device "MAJ:MIN" (the VE's loop device), so they can only be
 * written once the device exists (after mount). v1: one file per direction, value 0 drops the rule.
 */
export function ioThrottleSettings(l: Pick<VeLimits, 'iolimit' | 'iopslimit'>, dev: string, version: CgroupVersion): [string, string][] {
  if (!/^\d+:\d+$/.test(dev)) throw new Error(`bad device number ${dev}`);
  if (version === 'v1') {
    return [
      ['blkio.throttle.read_bps_device', `${dev} ${l.iolimit}`],
      ['blkio.throttle.write_bps_device', `${dev} ${l.iolimit}`],
      ['blkio.throttle.read_iops_device', `${dev} ${l.iopslimit}`],
      ['blkio.throttle.write_iops_device', `${dev} ${l.iopslimit}`],
    ];
  }
  const bps = l.iolimit > 0 ? String(l.iolimit) : 'max';
  const iops = l.iopslimit > 0 ? String(l.iopslimit) : 'max';
  return [['io.max', `${dev} rbps=${bps} wbps=${bps} riops=${iops} wiops=${iops}`]];
}
