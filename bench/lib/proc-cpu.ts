// CPU time of processes from /proc (ms of user+system, own and waited-for children), for a per-component
// split of a benchmark's host CPU: the panel process, the agent daemon, Postgres, LXC monitors.
import { readFile, readdir } from 'node:fs/promises';

const TICK_MS = 10; // USER_HZ is 100 on Linux

export interface ProcCpu { ownMs: number; childrenMs: number }

/** utime+stime and cutime+cstime of one pid, or zeros when it is gone. */
export async function procCpu(pid: number): Promise<ProcCpu> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!s) return { ownMs: 0, childrenMs: 0 };
  const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  const n = (i: number) => Number(f[i - 3]);
  return { ownMs: (n(14) + n(15)) * TICK_MS, childrenMs: (n(16) + n(17)) * TICK_MS };
}

/** Every pid with its parent pid and command line. */
export async function processTable(): Promise<{ pid: number; ppid: number; cmd: string }[]> {
  const out: { pid: number; ppid: number; cmd: string }[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const cmd = (await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
    out.push({ pid: Number(d), ppid, cmd });
  }
  return out;
}

/** Sum of own + children CPU over pids matching `pick`, in ms. */
export async function cpuOf(pick: (p: { pid: number; ppid: number; cmd: string }) => boolean): Promise<number> {
  let ms = 0;
  for (const p of (await processTable()).filter(pick)) {
    const c = await procCpu(p.pid);
    ms += c.ownMs + c.childrenMs;
  }
  return ms;
}

/** Host-wide busy CPU (all cores, everyone's), ms, from /proc/stat. */
export async function hostBusyMs(): Promise<number> {
  const l = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = l;
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}
