// Synchronous reads of kernel counter files, no thread-pool hop, into buffers reused pass after
// pass: small files by a pread at offset 0 of an fd held open across passes, the per-node tables
// (/proc/net/dev, mountinfo) by one open/read/close each pass.
import { closeSync, openSync, readSync, readdirSync, realpathSync, statSync, statfsSync } from 'node:fs';
import { parseMountedIds, parseVethDev, type NetDev } from './parse';

/** The shared read buffer: what `preadAt0` read is in it until the next read. */
export const buf = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads a held kernel file afresh (a seq_file regenerates its text on a read at offset 0) into
 * `buf`: its length, or -1 when the read fails (ENODEV: the cgroup was removed).
 */
export function preadAt0(fd: number): number {
  try {
    return readSync(fd, buf, 0, buf.length, 0);
  } catch {
    return -1;
  }
}

/** An fd for reading, or -1 when the file does not exist (memsw files without swap accounting). */
export function openRead(file: string): number {
  try {
    return openSync(file, 'r');
  } catch {
    return -1;
  }
}

export function closeFd(fd: number) {
  if (fd < 0) return;
  try {
    closeSync(fd);
  } catch { /* already closed */ }
}

// /proc/net/dev grows by ~130 bytes per interface and mountinfo by ~80 per mount: thousands of
// VEs pass 64 KiB, so these tables get a buffer of their own that grows to fit.
let big = Buffer.allocUnsafe(256 * 1024);

/** The whole file into `big`: its length (0 when it cannot be read). */
function readWhole(file: string): number {
  const fd = openRead(file);
  if (fd < 0) return 0;
  let len = 0;
  try {
    for (;;) {
      if (len === big.length) {
        const grown = Buffer.allocUnsafe(big.length * 2);
        big.copy(grown, 0, 0, len);
        big = grown;
      }
      const n = readSync(fd, big, len, big.length - len, null);
      if (n <= 0) break;
      len += n;
    }
  } catch { /* what was read so far */ } finally {
    closeFd(fd);
  }
  return len;
}

/** Every VE's host-side veth (`veth<ctid>`) counters by ctid, from one read of /proc/net/dev (the agent's namespace). */
export function readVethDev(file = '/proc/net/dev'): Map<number, NetDev> {
  return parseVethDev(big, readWhole(file));
}

/** The `<n>` of every mount point `<dir>/<n>` (VE roots with their filesystem mounted), from one read of mountinfo. */
export function mountedIds(dir: string, file = '/proc/self/mountinfo'): Set<number> {
  let real = dir;
  try {
    real = realpathSync(dir); // the kernel lists mount points resolved
  } catch { /* missing: nothing mounted under it */ }
  return parseMountedIds(big, readWhole(file), real);
}

/** Blocks and inodes of the filesystem at `dir` (undefined when it cannot be read). */
export function fsUsage(dir: string): { used: number; total: number; inodesUsed: number; inodesTotal: number } | undefined {
  try {
    const s = statfsSync(dir);
    return { used: (s.blocks - s.bfree) * s.bsize, total: s.blocks * s.bsize, inodesUsed: s.files - s.ffree, inodesTotal: s.files };
  } catch {
    return undefined;
  }
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

/** Names in a directory (empty when it is missing). */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
