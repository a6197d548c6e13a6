// One VE's raw kernel counters (cgroup v1 or v2), read from its payload cgroup. The files stay
// open across passes and are re-read at offset 0: an open and a close per file cost twice the
// read itself, ~11 files a VE every 10 s. A removed cgroup (the VE stopped or restarted) fails
// the read with ENODEV, and the VE's files are opened again by name.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseBlkio, parseIoStat, parseKv, parseNum } from './parse';
import { buf, closeFd, dirIdentity, listDir, openRead, preadAt0 } from './read';

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

/** Path whose inode identifies the cgroup's current incarnation. */
export const identityDir = (v2: boolean, name: string) => (v2 ? path.join(ROOT, name) : path.join(ROOT, 'cpuacct', name));

// The files read, by index (v1: controller/file; v2: file in the one hierarchy).
const V1_FILES = [
  'cpuacct/cpuacct.usage', 'cpu/cpu.stat', 'memory/memory.usage_in_bytes', 'memory/memory.memsw.usage_in_bytes',
  'memory/memory.failcnt', 'memory/memory.memsw.failcnt', 'memory/memory.oom_control',
  'blkio/blkio.throttle.io_service_bytes_recursive', 'blkio/blkio.throttle.io_serviced_recursive',
  'pids/pids.events', 'pids/pids.current',
];
const V2_FILES = ['cpu.stat', 'memory.events', 'io.stat', 'memory.swap.events', 'pids.events', 'memory.current', 'memory.swap.current', 'pids.current'];
const K = Object.fromEntries(['nr_throttled', 'throttled_time', 'oom_kill', 'max', 'usage_usec', 'throttled_usec'].map((k) => [k, Buffer.from(k)]));

/** One VE's open counter files (fd -1: the file does not exist, e.g. memsw without swap accounting). */
interface Files { name: string; id: string; fds: number[]; broken: boolean }

// Reads file i into `buf`: its length, or -1 when missing; a failed read marks the set broken.
function len(f: Files, i: number): number {
  if (f.fds[i] < 0) return -1;
  const n = preadAt0(f.fds[i]);
  if (n < 0) f.broken = true;
  return n;
}
const one = (f: Files, i: number) => { const n = len(f, i); return n < 0 ? undefined : parseNum(buf, n); };
const kv = (f: Files, i: number, key: Buffer) => { const n = len(f, i); return n < 0 ? undefined : parseKv(buf, n, key); };

function readV1(f: Files): RawCgroup {
  const cpuNs = one(f, 0) ?? 0;
  let n = len(f, 1);
  const throttled = (n < 0 ? undefined : parseKv(buf, n, K.nr_throttled)) ?? 0;
  const throttledNs = (n < 0 ? undefined : parseKv(buf, n, K.throttled_time)) ?? 0;
  const mem = one(f, 2) ?? 0;
  const memsw = one(f, 3);
  const memFail = one(f, 4) ?? 0;
  const swapFail = one(f, 5) ?? 0;
  const oomKill = kv(f, 6, K.oom_kill) ?? 0;
  n = len(f, 7);
  const bytes = n < 0 ? { read: 0, write: 0 } : parseBlkio(buf, n);
  n = len(f, 8);
  const ios = n < 0 ? { read: 0, write: 0 } : parseBlkio(buf, n);
  return {
    cpuNs, rdBytes: bytes.read, wrBytes: bytes.write, rdIos: ios.read, wrIos: ios.write,
    memFail, swapFail, oomKill, throttled, throttledNs,
    pidsMax: kv(f, 9, K.max) ?? 0,
    memBytes: mem,
    swapBytes: memsw === undefined ? 0 : Math.max(0, memsw - mem),
    pids: one(f, 10) ?? 0,
  };
}

function readV2(f: Files): RawCgroup {
  let n = len(f, 0);
  const cpu = (key: Buffer) => (n < 0 ? undefined : parseKv(buf, n, key)) ?? 0;
  const cpuNs = cpu(K.usage_usec) * 1000;
  const throttled = cpu(K.nr_throttled);
  const throttledNs = cpu(K.throttled_usec) * 1000;
  n = len(f, 1);
  const memFail = (n < 0 ? undefined : parseKv(buf, n, K.max)) ?? 0;
  const oomKill = (n < 0 ? undefined : parseKv(buf, n, K.oom_kill)) ?? 0;
  n = len(f, 2);
  const io = n < 0 ? { rbytes: 0, wbytes: 0, rios: 0, wios: 0 } : parseIoStat(buf, n);
  return {
    cpuNs, rdBytes: io.rbytes, wrBytes: io.wbytes, rdIos: io.rios, wrIos: io.wios,
    memFail, swapFail: kv(f, 3, K.max) ?? 0, oomKill, throttled, throttledNs,
    pidsMax: kv(f, 4, K.max) ?? 0,
    memBytes: one(f, 5) ?? 0,
    swapBytes: one(f, 6) ?? 0,
    pids: one(f, 7) ?? 0,
  };
}

/**
 * Fds the sampler may hold: half the open-file limit, or all but 8,192 of a large one (the agent's
 * sockets, pipes and files need the rest); VZ_USAGE_HELD_FDS lowers it. Each held file costs the
 * host a 4 KiB kernel buffer (its seq_file's) besides the fd: 43 KiB a running VE on cgroup v1,
 * outside every cgroup's memory but the agent's (issue 15). 0 holds none: files are opened, read
 * and closed every pass, ~2.5x the sampler's CPU (bench/README.md, "Usage history").
 */
export function fdBudget(limits = '/proc/self/limits', env: Record<string, string | undefined> = process.env): number {
  let soft = 1024;
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(limits, 'latin1'));
    if (m) soft = m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  } catch { /* no procfs: assume the common default */ }
  const fromLimit = Math.max(soft >> 1, soft - 8192);
  const asked = env.VZ_USAGE_HELD_FDS?.trim();
  return asked && /^\d+$/.test(asked) ? Math.min(Number(asked), fromLimit) : fromLimit;
}

/** Reads the payload cgroups of a node's VEs pass after pass, holding their files open within a budget of fds. */
export class CgroupReader {
  private readonly held = new Map<number, Files>();
  private heldFds = 0;
  private readonly files: string[];

  constructor(readonly v2: boolean, private readonly budget = fdBudget()) {
    this.files = v2 ? V2_FILES : V1_FILES;
  }

  /** The cgroup's identity and counters; undefined when it is gone (the VE stopped). */
  read(ctid: number, name: string): { id: string; raw: RawCgroup } | undefined {
    let f = this.held.get(ctid);
    if (f && f.name !== name) f = this.drop(ctid);
    if (f) {
      f.broken = false;
      const raw = this.v2 ? readV2(f) : readV1(f);
      if (!f.broken) return { id: f.id, raw };
      this.drop(ctid); // removed since the last pass: the VE stopped or restarted
    }
    f = this.open(name);
    if (!f) return undefined;
    const raw = this.v2 ? readV2(f) : readV1(f);
    if (f.broken || this.heldFds + f.fds.length > this.budget) {
      f.fds.forEach(closeFd);
      // A read failed: the VE stopped meanwhile, or one file misbehaves (then its counters read 0, as a missing file's).
      if (f.broken && dirIdentity(identityDir(this.v2, name)) !== f.id) return undefined;
    } else {
      this.held.set(ctid, f);
      this.heldFds += f.fds.length;
    }
    return { id: f.id, raw };
  }

  /** Closes the files of every VE not in `running`. */
  sweep(running: Set<number>) {
    for (const ctid of this.held.keys()) if (!running.has(ctid)) this.drop(ctid);
  }

  close() {
    for (const ctid of [...this.held.keys()]) this.drop(ctid);
  }

  /** Fds held open now (for tests and benchmarks). */
  get fdsHeld() {
    return this.heldFds;
  }

  /** Opens the cgroup's files between two looks at its identity: a cgroup removed or recreated meanwhile reads as gone this pass. */
  private open(name: string): Files | undefined {
    const dir = identityDir(this.v2, name);
    const id = dirIdentity(dir);
    if (!id) return undefined;
    const fds = this.files.map((file) => openRead(this.v2 ? path.join(ROOT, name, file) : path.join(ROOT, path.dirname(file), name, path.basename(file))));
    if (fds[0] < 0 || dirIdentity(dir) !== id) {
      fds.forEach(closeFd);
      return undefined;
    }
    return { name, id, fds, broken: false };
  }

  private drop(ctid: number): undefined {
    const f = this.held.get(ctid);
    if (!f) return undefined;
    f.fds.forEach(closeFd);
    this.heldFds -= f.fds.length;
    this.held.delete(ctid);
    return undefined;
  }
}
