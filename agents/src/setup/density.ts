// The node settings density needs (BASELINES.md, issue 15): applied at agent start (only ever
// raised, so a repeat is a no-op) and reported in node.info with whether each is enough for N VEs.
import { readFile, writeFile } from 'node:fs/promises';
import { bridgeCapacity, bridgePortLimit, bridgeUsage, BRIDGE_PORT_LIMIT, overflowMax, type BridgeUse } from '../net/overflow';

export { BRIDGE_PORT_LIMIT, bridgePortLimit };

export interface DensitySetting {
  key: string;
  label: string;
  /** What the node has now (null: unreadable here). */
  value: number | null;
  /** What N VEs need. */
  needed: number;
  enough: boolean;
  /** Why it matters, in one line. */
  why: string;
}

export interface DensityFacts { targetVes: number; settings: DensitySetting[]; bridges: BridgeUse[] }

/** VEs the node is prepared for (VZ_DENSITY_TARGET, default 3,000: the raw LXC figure of issue 15). */
export const densityTarget = (): number => Math.max(1, Number(process.env.VZ_DENSITY_TARGET) || 3000);


interface Sysctl { key: string; path: string; label: string; needed: (n: number) => number; want: (n: number) => number; why: string }

// `want` is what the agent sets (raises to); `needed` what N VEs take, reported as enough or not.
const SYSCTLS: Sysctl[] = [
  { key: 'pty.max', path: '/proc/sys/kernel/pty/max', label: 'kernel.pty.max', needed: (n) => 1024 + 2 * n, want: (n) => Math.max(65_536, 1024 + 4 * n),
    why: 'every VE takes a console pty (lxc.tty.max = 0: no ttys) plus its logins\'; the first 1,024 are reserved for the host' },
  ...(['ipv4', 'ipv6'] as const).flatMap((f) => [
    { key: `${f}.gc_thresh1`, path: `/proc/sys/net/${f}/neigh/default/gc_thresh1`, label: `net.${f}.neigh.default.gc_thresh1`, needed: () => 0, want: (n: number) => Math.max(8192, n),
      why: 'below this the neighbour table is never pruned' },
    { key: `${f}.gc_thresh2`, path: `/proc/sys/net/${f}/neigh/default/gc_thresh2`, label: `net.${f}.neigh.default.gc_thresh2`, needed: (n: number) => n + 256, want: (n: number) => Math.max(32_768, 4 * n),
      why: 'one neighbour entry per reachable VE: above this the kernel prunes entries of live VEs' },
    { key: `${f}.gc_thresh3`, path: `/proc/sys/net/${f}/neigh/default/gc_thresh3`, label: `net.${f}.neigh.default.gc_thresh3`, needed: (n: number) => 2 * n + 256, want: (n: number) => Math.max(65_536, 8 * n),
      why: '"neighbor table overflow" past it (seen at ~512 VEs with the default 1,024)' },
  ]),
  { key: 'inotify.instances', path: '/proc/sys/fs/inotify/max_user_instances', label: 'fs.inotify.max_user_instances', needed: () => 1024, want: () => 8192,
    why: 'per host user: systemd in a VE and the host\'s LXC monitors run out of inotify instances at the default 128' },
  { key: 'inotify.watches', path: '/proc/sys/fs/inotify/max_user_watches', label: 'fs.inotify.max_user_watches', needed: () => 65_536, want: () => 1_048_576,
    why: 'per host user: file watches of the services inside VEs' },
  { key: 'keys.maxkeys', path: '/proc/sys/kernel/keys/maxkeys', label: 'kernel.keys.maxkeys', needed: (n) => n + 1, want: (n) => Math.max(2000, n + 1000),
    why: 'keys a non-root host user may hold; each VE session keyring takes one (LXD: more than the number of containers)' },
  { key: 'keys.maxbytes', path: '/proc/sys/kernel/keys/maxbytes', label: 'kernel.keys.maxbytes', needed: (n) => 25 * (n + 1), want: (n) => Math.max(2_000_000, 50 * (n + 1000)),
    why: 'bytes of keys a non-root host user may hold (with maxkeys)' },
  { key: 'pid_max', path: '/proc/sys/kernel/pid_max', label: 'kernel.pid_max', needed: (n) => 32_768 + 10 * n, want: () => 4_194_304,
    why: 'every VE\'s processes are host pids too (the seed takes 5 per VE; ~6,500 VEs at the default 32,768)' },
];

const readNum = (p: string) => readFile(p, 'utf8').then((t) => Number(t.trim()), () => null);

/** Raise each setting to what `n` VEs want (never lowers: an admin's higher value stays). Returns what was changed. */
export async function applyDensitySettings(n = densityTarget()): Promise<string[]> {
  const changed: string[] = [];
  for (const s of SYSCTLS) {
    const cur = await readNum(s.path);
    const want = s.want(n);
    if (cur === null || cur >= want) continue;
    if (await writeFile(s.path, String(want)).then(() => true, () => false)) changed.push(`${s.label}=${want}`);
  }
  return changed;
}

/** What each density setting is on this node and whether it is enough for `n` VEs (node.info). */
export async function densityFacts(bridge: string, n = densityTarget()): Promise<DensityFacts> {
  const settings: DensitySetting[] = [];
  for (const s of SYSCTLS) {
    const value = await readNum(s.path);
    settings.push({ key: s.key, label: s.label, value, needed: s.needed(n), enough: value !== null && value >= s.needed(n), why: s.why });
  }
  const bridges = await bridgeUsage(bridge);
  const cap = bridgeCapacity();
  settings.push({
    key: 'bridge.ports', label: `VE ports on bridge ${bridge} and its overflow bridges (now in use)`, value: bridges.length ? bridges.reduce((a, b) => a + b.vePorts, 0) : null, needed: n, enough: n <= cap,
    why: `a Linux bridge takes at most ${BRIDGE_PORT_LIMIT.toLocaleString('en')} ports: past ${bridgePortLimit().toLocaleString('en')} per bridge VEs join overflow bridges linked to it (${overflowMax()} allowed, VZ_BRIDGE_OVERFLOWS), ${cap.toLocaleString('en')} VEs in all`,
  });
  settings.push({ key: 'tty.max', label: 'ttys per VE (lxc.tty.max)', value: 0, needed: 0, enough: true, why: 'VEs get a console and no ttys: 1 pty each instead of 5' });
  return { targetVes: n, settings, bridges };
}
