// Kernel-side memory a VE costs the host outside its own cgroup (issue 15): /proc/meminfo's kernel
// fields, slab caches by name, and kernel threads by kind, so a step of N VEs can be attributed.
import { readFile, readdir } from 'node:fs/promises';

const KiB = 1024;
export const MEMINFO_FIELDS = ['Slab', 'SReclaimable', 'SUnreclaim', 'KernelStack', 'PageTables', 'Percpu', 'VmallocUsed'] as const;
export type KernelFields = Record<(typeof MEMINFO_FIELDS)[number] | 'used', number>;

export interface KernelSnapshot {
  /** Bytes of the meminfo fields above, and `used` = MemTotal - MemAvailable (the whole box). */
  meminfo: KernelFields;
  /** Slab cache name -> bytes in use (active objects x object size). */
  slabs: Record<string, number>;
  /** Kernel thread kind (comm with digits folded to N) -> count. */
  kthreads: Record<string, number>;
}

export async function meminfo(): Promise<KernelFields> {
  const t = await readFile('/proc/meminfo', 'utf8');
  const get = (k: string) => Number(t.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * KiB;
  const out = Object.fromEntries(MEMINFO_FIELDS.map((k) => [k, get(k)])) as KernelFields;
  out.used = get('MemTotal') - get('MemAvailable');
  return out;
}

/** Bytes in use per slab cache (root only; empty when /proc/slabinfo cannot be read). */
export async function slabs(): Promise<Record<string, number>> {
  const t = await readFile('/proc/slabinfo', 'utf8').catch(() => '');
  const out: Record<string, number> = {};
  for (const line of t.split('\n').slice(2)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 3) out[f[0]] = Number(f[1]) * Number(f[3]);
  }
  return out;
}

/** Kernel threads (children of kthreadd, pid 2) by kind: `jbd2/loop12-8` counts as `jbd2/loopN-N`. */
export async function kthreads(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
    const close = st.lastIndexOf(')');
    if (close < 0 || st.slice(close + 2).split(' ')[1] !== '2') continue;
    const kind = st.slice(st.indexOf('(') + 1, close).replace(/\d+/g, 'N');
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

export async function kernelSnapshot(): Promise<KernelSnapshot> {
  const [m, s, k] = await Promise.all([meminfo(), slabs(), kthreads()]);
  return { meminfo: m, slabs: s, kthreads: k };
}

/** b - a per key (keys of either), dropping those that did not change. */
export function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[k] ?? 0) - (a[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

/** The `n` largest entries by absolute value, as [key, value] pairs. */
export const top = (r: Record<string, number>, n: number): [string, number][] =>
  Object.entries(r).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1])).slice(0, n);
