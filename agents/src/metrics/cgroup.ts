// One VE's raw kernel counters (cgroup v1 or v2), read from its payload cgroup by path.
import path from 'node:path';
import { listDir, readBlkio, readIoStat, readKv, readNum } from './read';

const ROOT = '/sys/fs/cgroup';

/** Counters as the kernel keeps them: they start over when the cgroup is recreated (a VE restart). */
export interface RawCgroup {
  cpuNs: number; rdBytes: number; wrBytes: number; rdIos: number; wrIos: number;
  memFail: number; swapFail: number; oomKill: number; throttled: number; throttledNs: number; pidsMax: number;
  // No limits: the panel knows them, and each file read costs every VE every pass.
  memBytes: number; swapBytes: number; pids: number;
}

/**
 * ctid -> payload cgroup name (lxc.payload.<ctid>, or lxc.payload.<ctid>-<n> when LXC had to pick
 * another name because a stale one was left behind: the newest suffix is the live one).
 * One readdir for all VEs.
 */
export function payloadNames(v2: boolean): Map<number, string> {
  const out = new Map<number, { name: string; n: number }>();
  for (const name of listDir(v2 ? ROOT : path.join(ROOT, 'memory'))) {
    const m = /^lxc\.payload\.(\d+)(?:-(\d+))?$/.exec(name);
    if (!m) continue;
    const ctid = Number(m[1]);
    const n = m[2] ? Number(m[2]) : 0;
    const prev = out.get(ctid);
    if (!prev || n > prev.n) out.set(ctid, { name, n });
  }
  return new Map([...out].map(([k, v]) => [k, v.name]));
}

export function readV1(name: string): RawCgroup {
  const c = (ctrl: string, file: string) => path.join(ROOT, ctrl, name, file);
  const mem = readNum(c('memory', 'memory.usage_in_bytes')) ?? 0;
  const memsw = readNum(c('memory', 'memory.memsw.usage_in_bytes'));
  const bytes = readBlkio(c('blkio', 'blkio.throttle.io_service_bytes_recursive'));
  const ios = readBlkio(c('blkio', 'blkio.throttle.io_serviced_recursive'));
  const cpu = readKv(c('cpu', 'cpu.stat'));
  return {
    cpuNs: readNum(c('cpuacct', 'cpuacct.usage')) ?? 0,
    rdBytes: bytes.read, wrBytes: bytes.write, rdIos: ios.read, wrIos: ios.write,
    memFail: readNum(c('memory', 'memory.failcnt')) ?? 0,
    swapFail: readNum(c('memory', 'memory.memsw.failcnt')) ?? 0,
    oomKill: readKv(c('memory', 'memory.oom_control')).get('oom_kill') ?? 0,
    throttled: cpu.get('nr_throttled') ?? 0,
    throttledNs: cpu.get('throttled_time') ?? 0,
    pidsMax: readKv(c('pids', 'pids.events')).get('max') ?? 0,
    memBytes: mem,
    swapBytes: memsw === undefined ? 0 : Math.max(0, memsw - mem),
    pids: readNum(c('pids', 'pids.current')) ?? 0,
  };
}

export function readV2(name: string): RawCgroup {
  const f = (file: string) => path.join(ROOT, name, file);
  const cpu = readKv(f('cpu.stat'));
  const ev = readKv(f('memory.events'));
  const io = readIoStat(f('io.stat'));
  return {
    cpuNs: (cpu.get('usage_usec') ?? 0) * 1000,
    rdBytes: io.rbytes, wrBytes: io.wbytes, rdIos: io.rios, wrIos: io.wios,
    memFail: ev.get('max') ?? 0,
    swapFail: readKv(f('memory.swap.events')).get('max') ?? 0,
    oomKill: ev.get('oom_kill') ?? 0,
    throttled: cpu.get('nr_throttled') ?? 0,
    throttledNs: (cpu.get('throttled_usec') ?? 0) * 1000,
    pidsMax: readKv(f('pids.events')).get('max') ?? 0,
    memBytes: readNum(f('memory.current')) ?? 0,
    swapBytes: readNum(f('memory.swap.current')) ?? 0,
    pids: readNum(f('pids.current')) ?? 0,
  };
}

/** Path whose inode identifies the cgroup's current incarnation. */
export const identityDir = (v2: boolean, name: string) => (v2 ? path.join(ROOT, name) : path.join(ROOT, 'cpuacct', name));
