// Read a running VE's cgroup counters (v1 or v2) for vzubc and vzlist.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { hostFacts } from './host-facts';

/** cgroup directory of a VE's payload for `controller`, found from its init's /proc/<pid>/cgroup. */
export async function payloadCgroupDir(pid: number, controller: string): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  const v2 = hostFacts().version === 'v2';
  for (const line of text.split('\n')) {
    const [, ctrls, rel] = line.split(':');
    if (rel === undefined) continue;
    const match = v2 ? ctrls === '' : ctrls.split(',').includes(controller);
    if (!match) continue;
    // Walk up from init's cgroup (systemd inside moves itself to init.scope) to lxc.payload.<name>.
    const parts = rel.split('/').filter(Boolean);
    const idx = parts.findIndex((x) => x.startsWith('lxc.payload.'));
    const keep = idx >= 0 ? parts.slice(0, idx + 1) : parts;
    return path.join('/sys/fs/cgroup', v2 ? '' : controller, ...keep);
  }
  return undefined;
}

/** Every process in cgroup `dir` and the cgroups below it (v1 or v2: cgroup.procs). */
export async function cgroupPids(dir: string): Promise<number[]> {
  const own = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').map(Number).filter((n) => n > 0);
  const subs = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory());
  const below = await Promise.all(subs.map((d) => cgroupPids(path.join(dir, d.name))));
  return [...own, ...below.flat()];
}

export async function readCg(dir: string | undefined, file: string): Promise<string | undefined> {
  if (!dir) return undefined;
  return (await readFile(path.join(dir, file), 'utf8').catch(() => undefined))?.trim();
}

export const num = (s: string | undefined): number | undefined => {
  if (s === undefined || s === 'max') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};

/** `key value` lines (memory.stat, pids.events, memory.events) to a map. */
export function kv(s: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of (s ?? '').split('\n')) {
    const [k, v] = l.trim().split(/\s+/);
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}
