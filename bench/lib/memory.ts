// Host-side memory figures: PSS of LXC monitor processes, RSS of a pid, a VE's memory cgroup, MemAvailable.
import { readFile, readdir } from 'node:fs/promises';

const KiB = 1024;

/** pids of `[lxc monitor] <lxcpath> <name>` processes for containers under lxcpath. */
export async function monitorPids(lxcpath: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    const m = cmd.replace(/\0+$/, '').match(/^\[lxc monitor\] (\S+) (\S+)/);
    if (m && m[1] === lxcpath) out.set(m[2], Number(d));
  }
  return out;
}

/** Proportional set size of a process in bytes (shared pages split among their users). */
export async function pssBytes(pid: number): Promise<number> {
  const t = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  return Number(t.match(/^Pss:\s+(\d+) kB/m)?.[1] ?? NaN) * KiB;
}

export async function rssBytes(pid: number): Promise<number> {
  const t = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(t.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? NaN) * KiB;
}

/** Summed PSS of every monitor under lxcpath, and how many there are. */
export async function monitorsPss(lxcpath: string): Promise<{ count: number; bytes: number }> {
  const pids = [...(await monitorPids(lxcpath)).values()];
  const each = await Promise.all(pids.map(pssBytes));
  return { count: pids.length, bytes: each.filter(Number.isFinite).reduce((a, b) => a + b, 0) };
}

/** memory.usage_in_bytes (v1) or memory.current (v2) of the cgroup a process lives in. */
export async function cgroupMemoryBytes(pid: number): Promise<number> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '')).split('\n');
  const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  if (v1) {
    const p = v1.split(':').slice(2).join(':');
    return Number((await readFile(`/sys/fs/cgroup/memory${p}/memory.usage_in_bytes`, 'utf8').catch(() => 'NaN')).trim());
  }
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (!v2) return NaN;
  return Number((await readFile(`/sys/fs/cgroup${v2.slice(3)}/memory.current`, 'utf8').catch(() => 'NaN')).trim());
}

/** MemTotal - MemAvailable in bytes (whole box; noisy on a shared machine). */
export async function hostUsedBytes(): Promise<number> {
  const t = await readFile('/proc/meminfo', 'utf8');
  const get = (k: string) => Number(t.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1]) * KiB;
  return get('MemTotal') - get('MemAvailable');
}

export const MiB = 1024 * 1024;

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU ms a process used itself plus what its waited-for children used (utime+stime+cutime+cstime). */
export async function cpuMsWithChildren(pid: number | 'self'): Promise<number> {
  const t = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
  // fields after "(comm) ": state=0 ... utime=11 stime=12 cutime=13 cstime=14
  return [11, 12, 13, 14].reduce((a, i) => a + Number(f[i] ?? NaN), 0) * TICK_MS;
}

/** pids whose parent is `ppid` and whose command line contains `needle`. */
export async function childrenMatching(ppid: number, needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
    const parent = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent !== ppid) continue;
    if ((await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '')).includes(needle)) out.push(Number(d));
  }
  return out;
}
