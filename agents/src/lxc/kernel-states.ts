// Power states of every container under an lxcpath from a few kernel files, without asking each
// container's monitor (lxc-ls -f does, ~20 ms to seconds each on a loaded box: issue 15).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { readCg } from './cgroup-read';
import { hostFacts } from './host-facts';
import type { LxcState } from './lxc-cli';

/** LXC hashes a command socket path longer than this: then the socket table cannot name the container. */
const MAX_LXCPATH = 80;

/** Running containers per lxcpath, from the kernel's socket table; null when it cannot be read. */
async function socketTable(): Promise<Map<string, Set<string>> | null> {
  const text = await readFile('/proc/net/unix', 'utf8').catch(() => null);
  if (text === null) return null;
  // Each monitor listens on @<lxcpath>/<name>/command; accepted connections repeat the path.
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /\s@(\/\S*)\/([^/\s]+)\/command$/.exec(line.trimEnd());
    if (m) out.set(m[2], (out.get(m[2]) ?? new Set()).add(m[1]));
  }
  return out;
}

/**
 * Running containers of `lxcpath` from the kernel's socket table. One file read instead of lxc-ls
 * asking every container. null when LXC would hash a path this long.
 */
export async function runningFromSockets(lxcpath: string): Promise<Set<number> | null> {
  if (lxcpath.length > MAX_LXCPATH) return null;
  const table = await socketTable();
  if (!table) return null;
  return new Set([...table].filter(([name, paths]) => /^\d+$/.test(name) && paths.has(lxcpath)).map(([name]) => Number(name)));
}

export interface KernelStates {
  /** RUNNING, FROZEN or FREEZING for each container with a command socket; absent ones are STOPPED. */
  states: Map<number, LxcState>;
  /** Running containers whose freezer cgroup could not be told apart (mid-start, mid-stop, a name
   * another lxcpath also uses): ask lxc-info about these. */
  unsure: number[];
}

/**
 * Every container's state from one read of the socket table, one listing of the freezer cgroup
 * root and one freezer state file per running container. LXC names a payload cgroup
 * lxc.payload.<name>, with -<n> added when the name is taken: a name with one payload cgroup and
 * one running container across all lxcpaths is ours; anything else is unsure. null when the socket
 * table cannot be trusted (see runningFromSockets). `only`: just these containers (the rest are left out).
 */
export async function kernelStates(lxcpath: string, only?: ReadonlySet<number>): Promise<KernelStates | null> {
  if (lxcpath.length > MAX_LXCPATH) return null;
  const table = await socketTable();
  if (!table) return null;
  const v2 = hostFacts().version === 'v2';
  const root = v2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/freezer';
  const payloads = new Map<string, string[]>();
  for (const d of await readdir(root).catch(() => [] as string[])) {
    if (!d.startsWith('lxc.payload.')) continue;
    const x = d.slice('lxc.payload.'.length);
    const base = /^(.+)-\d+$/.exec(x)?.[1];
    for (const name of base ? [x, base] : [x]) payloads.set(name, [...(payloads.get(name) ?? []), d]);
  }
  const states = new Map<number, LxcState>();
  const unsure: number[] = [];
  // `only`: a delta answer asks about the few VEs that changed; their freezer files alone are read.
  const ours = [...table].filter(([name, paths]) => /^\d+$/.test(name) && paths.has(lxcpath) && (!only || only.has(Number(name))));
  await Promise.all(ours.map(async ([name, paths]) => {
    const ctid = Number(name);
    const dirs = payloads.get(name) ?? [];
    const st = dirs.length === 1 && paths.size === 1 ? await freezerState(path.join(root, dirs[0]), v2) : undefined;
    if (st) states.set(ctid, st);
    else unsure.push(ctid);
  }));
  return { states, unsure: unsure.sort((a, b) => a - b) };
}

/** v1 freezer.state (THAWED, FREEZING, FROZEN) or v2 cgroup.events `frozen 0|1`, as LXC states. */
async function freezerState(dir: string, v2: boolean): Promise<LxcState | undefined> {
  if (v2) {
    const ev = await readCg(dir, 'cgroup.events');
    const m = ev && /^frozen ([01])$/m.exec(ev);
    return m ? (m[1] === '1' ? 'FROZEN' : 'RUNNING') : undefined;
  }
  const s = await readCg(dir, 'freezer.state');
  return s === 'THAWED' ? 'RUNNING' : s === 'FROZEN' || s === 'FREEZING' ? s : undefined;
}
