// Synchronous reads of kernel counter files: one open/read/close each, no thread-pool hop, so one
// sampling pass over hundreds of VEs stays a few milliseconds of CPU.
import { closeSync, openSync, readSync, readdirSync, statSync, statfsSync } from 'node:fs';
import path from 'node:path';

const buf = Buffer.allocUnsafe(64 * 1024);

/** File contents (up to 64 KiB) or undefined when it does not exist (a VE that stopped meanwhile). */
export function readSmall(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let len = 0;
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n <= 0 || len + n >= buf.length) { len += Math.max(n, 0); break; }
      len += n;
    }
    return buf.toString('latin1', 0, len);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A file holding one integer; "max" and missing files are undefined. */
export function readNum(file: string): number | undefined {
  const s = readSmall(file);
  if (s === undefined) return undefined;
  const v = Number(s.trim());
  return Number.isFinite(v) ? v : undefined;
}

/** `key value` lines to a map (cpu.stat, pids.events, memory.oom_control, memory.events). */
export function readKv(file: string): Map<string, number> {
  const m = new Map<string, number>();
  const s = readSmall(file);
  if (!s) return m;
  for (const line of s.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

/** blkio.throttle.io_service_bytes / io_serviced: the "Total"-less sum of Read and Write over devices. */
export function readBlkio(file: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  const s = readSmall(file) ?? '';
  for (const line of s.split('\n')) {
    const [, op, v] = line.split(' ');
    if (op === 'Read') read += Number(v);
    else if (op === 'Write') write += Number(v);
  }
  return { read, write };
}

/** cgroup v2 io.stat: sums of rbytes/wbytes/rios/wios over devices. */
export function readIoStat(file: string): { rbytes: number; wbytes: number; rios: number; wios: number } {
  const t = { rbytes: 0, wbytes: 0, rios: 0, wios: 0 };
  for (const line of (readSmall(file) ?? '').split('\n')) {
    for (const f of line.split(' ').slice(1)) {
      const [k, v] = f.split('=');
      if (k in t) t[k as keyof typeof t] += Number(v);
    }
  }
  return t;
}

export interface NetDev { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number }

/** Every interface's counters from one read of /proc/net/dev (the host's namespace). */
export function readNetDev(file = '/proc/net/dev'): Map<string, NetDev> {
  const out = new Map<string, NetDev>();
  const s = readLarge(file);
  for (const line of s.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    out.set(line.slice(0, colon).trim(), { rxBytes: f[0], rxPackets: f[1], txBytes: f[8], txPackets: f[9] });
  }
  return out;
}

// /proc/net/dev grows by ~130 bytes per interface: thousands of veths pass 64 KiB.
function readLarge(file: string): string {
  const chunks: Buffer[] = [];
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks).toString('latin1');
}

/** Identity of a directory's current incarnation (a recreated cgroup gets a new inode). */
export function dirIdentity(dir: string): string | undefined {
  try {
    const s = statSync(dir, { bigint: true });
    return `${s.ino}`;
  } catch {
    return undefined;
  }
}

/** Device of a directory (compare with a mount point's to tell whether something is mounted there). */
export function devOf(dir: string): number | undefined {
  try {
    return statSync(dir).dev;
  } catch {
    return undefined;
  }
}

/**
 * Blocks and inodes of the filesystem mounted at `root`; undefined when nothing is mounted there
 * (`parentDev`: the device of root's parent, read once per pass for every VE).
 */
export function mountedFsUsage(root: string, parentDev = devOf(path.dirname(root))): { used: number; total: number; inodesUsed: number; inodesTotal: number } | undefined {
  try {
    if (statSync(root).dev === parentDev) return undefined;
    const s = statfsSync(root);
    return { used: (s.blocks - s.bfree) * s.bsize, total: s.blocks * s.bsize, inodesUsed: s.files - s.ffree, inodesTotal: s.files };
  } catch {
    return undefined;
  }
}

/** Names in a directory (empty when it is missing). */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
