// Past one bridge's ports (Linux takes at most 1,023), VEs attach to overflow bridges `<bridge>-1`,
// `-2`, ... each joined to the main bridge by a veth pair. That keeps one L2 segment: VEs on any of
// them reach each other and the host's address on the main bridge. Port filters stay in the main
// bridge's nft table: bridge-family hooks see frames entering any bridge of the host and match the
// VE's veth by name, so the policy holds on an overflow bridge too (the link ports are in no map).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { serialQueue } from '../sys/serial';
import { bridgeExists, deleteBridge, ensureBridge } from './bridge';

/** Per-bridge port limit of Linux (BR_MAX_PORTS 1024, port 0 reserved): "Exchange full" past it. */
export const BRIDGE_PORT_LIMIT = 1023;

/** The per-bridge port limit the agent enforces (VZ_BRIDGE_PORT_LIMIT may lower it: spare ports, or tests). */
export const bridgePortLimit = (): number => Math.min(BRIDGE_PORT_LIMIT, Number(process.env.VZ_BRIDGE_PORT_LIMIT) || BRIDGE_PORT_LIMIT);

/** The most overflow bridges any setting allows: numbers past the current setting are still found. */
const OVERFLOW_CAP = 99;

/**
 * Overflow bridges a node may make (VZ_BRIDGE_OVERFLOWS, 0-99, default 8: ~9,000 VEs at 1,023 ports
 * each). Each takes a port on the main bridge for its link, so at most the port limit less one.
 */
export const overflowMax = (): number => {
  const v = Number(process.env.VZ_BRIDGE_OVERFLOWS);
  const asked = process.env.VZ_BRIDGE_OVERFLOWS !== undefined && Number.isInteger(v) && v >= 0 ? Math.min(OVERFLOW_CAP, v) : 8;
  return Math.min(asked, bridgePortLimit() - 1);
};

// Interface names are at most 15 characters: a long main name is replaced by a stable hash of it.
const baseOf = (bridge: string) => (bridge.length <= 10 ? bridge : `vzo${createHash('sha1').update(bridge).digest('hex').slice(0, 7)}`);
export const overflowName = (bridge: string, k: number) => `${baseOf(bridge)}-${k}`;
/** The veth pair joining overflow bridge k to the main one: `m` end on the main bridge, `o` end on the overflow. */
export const linkNames = (bridge: string, k: number) => ({ main: `${overflowName(bridge, k)}m`, over: `${overflowName(bridge, k)}o` });

export interface BridgeUse {
  name: string;
  role: 'main' | 'overflow';
  /** Every port on it (VEs and links). */
  ports: number;
  /** Ports of VEs only. */
  vePorts: number;
  limit: number;
}

const portsOf = (name: string) => readdir(`/sys/class/net/${name}/brif`).then((l) => l, () => null);

/**
 * Overflow bridge numbers that exist now, ascending, up to `upTo` (this node's setting; every possible
 * number for node facts and teardown). Each name is looked up in sysfs: a listing of /sys/class/net
 * holds every VE's veth (5.4 ms at 1,677 interfaces, linear in them, twice per start: issue 15); 8
 * lookups take ~0.1 ms (99: ~1 ms).
 */
function overflowsPresent(bridge: string, upTo = overflowMax()): number[] {
  const ks = Array.from({ length: upTo }, (_, i) => i + 1);
  return ks.filter((k) => existsSync(`/sys/class/net/${overflowName(bridge, k)}`));
}

/** The main bridge and every overflow bridge with their port use (node facts; empty if the main one is missing). */
export async function bridgeUsage(bridge: string): Promise<BridgeUse[]> {
  const limit = bridgePortLimit();
  const main = await portsOf(bridge);
  if (!main) return [];
  const present = overflowsPresent(bridge, OVERFLOW_CAP);
  const links = new Set(present.map((k) => linkNames(bridge, k).main));
  const out: BridgeUse[] = [{ name: bridge, role: 'main', ports: main.length, vePorts: main.filter((p) => !links.has(p)).length, limit }];
  for (const k of present) {
    const ps = await portsOf(overflowName(bridge, k));
    if (!ps) continue;
    const link = linkNames(bridge, k).over;
    out.push({ name: overflowName(bridge, k), role: 'overflow', ports: ps.length, vePorts: ps.filter((p) => p !== link).length, limit });
  }
  return out;
}

/** How many VEs the main bridge and `overflowMax()` overflow bridges hold at the port limit. */
export const bridgeCapacity = (): number => {
  const l = bridgePortLimit();
  const k = overflowMax();
  return Math.max(0, l - k) + k * Math.max(0, l - 1);
};

// Ports handed out but not yet visible in sysfs (lxc-start in flight), per bridge.
const pending = new Map<string, number>();
/** One pick or prune at a time in this daemon, so parallel starts never overfill a bridge. */
const serial = serialQueue();
const used = async (name: string) => ((await portsOf(name))?.length ?? 0) + (pending.get(name) ?? 0);

/** Make overflow bridge k and its link to the main bridge (idempotent: a repeat only re-checks). */
async function ensureOverflow(bridge: string, k: number): Promise<string> {
  const name = overflowName(bridge, k);
  const l = linkNames(bridge, k);
  await ensureBridge(name);
  if (!(await bridgeExists(l.main))) {
    const r = await run('ip', ['link', 'add', l.main, 'type', 'veth', 'peer', 'name', l.over], { allowFail: true });
    if (r.code !== 0 && !(await bridgeExists(l.main))) throw new VeError('INTERNAL', `cannot link overflow bridge ${name}: ${r.stderr.trim()}`);
  }
  await run('ip', ['link', 'set', l.over, 'master', name, 'up']);
  await run('ip', ['link', 'set', l.main, 'master', bridge, 'up']);
  return name;
}

export interface PickedBridge {
  bridge: string;
  /** Call once the VE's veth is on the bridge (or its start failed). */
  release(): void;
}

/**
 * The bridge a starting VE attaches to: the main one while it has room (keeping one port for each
 * overflow bridge not made yet), else the first overflow bridge with room, made on demand.
 * Throws UNSUPPORTED/BRIDGE_FULL when every bridge the node may have is full.
 */
export function pickBridge(bridge: string, ctid: number): Promise<PickedBridge> {
  return serial(async () => {
    const limit = bridgePortLimit();
    const max = overflowMax();
    const present = overflowsPresent(bridge);
    const reserve = Math.max(0, max - present.filter((k) => k <= max).length);
    let chosen: string | undefined;
    if ((await used(bridge)) + reserve < limit) chosen = bridge;
    for (let k = 1; !chosen && k <= max; k++) {
      const name = overflowName(bridge, k);
      if (present.includes(k)) {
        if ((await used(name)) < limit) chosen = name;
      } else if ((await used(bridge)) < limit) {
        chosen = await ensureOverflow(bridge, k);
      }
    }
    if (!chosen) {
      const how = limit === BRIDGE_PORT_LIMIT ? 'the most a Linux bridge takes' : `this node's limit (VZ_BRIDGE_PORT_LIMIT=${limit})`;
      const ports = (await portsOf(bridge))?.length ?? 0;
      const made = overflowsPresent(bridge).length;
      throw new VeError('UNSUPPORTED', `VE ${ctid} cannot start: bridge ${bridge} already has ${ports.toLocaleString('en')} ports and its ${made} overflow bridge${made === 1 ? ' is' : 's are'} full (${max} allowed), ${limit.toLocaleString('en')} ports each is ${how}: stop or move a VE first`, { reason: 'BRIDGE_FULL', bridge });
    }
    const name = chosen;
    pending.set(name, (pending.get(name) ?? 0) + 1);
    let released = false;
    return {
      bridge: name,
      release: () => {
        if (released) return;
        released = true;
        const n = (pending.get(name) ?? 1) - 1;
        if (n > 0) pending.set(name, n); else pending.delete(name);
      },
    };
  });
}

/** Remove overflow bridges that hold no VE (only their link) and nothing is about to join. */
export function pruneOverflowBridges(bridge: string): Promise<string[]> {
  return serial(async () => {
    const removed: string[] = [];
    for (const k of overflowsPresent(bridge)) {
      const name = overflowName(bridge, k);
      const ps = await portsOf(name);
      if (!ps || pending.get(name) || ps.some((p) => p !== linkNames(bridge, k).over)) continue;
      await run('ip', ['link', 'del', linkNames(bridge, k).main], { allowFail: true });
      await deleteBridge(name);
      removed.push(name);
    }
    return removed;
  });
}

/** Node teardown: every overflow bridge of `bridge` and its link, VEs or not. */
export async function deleteOverflowBridges(bridge: string): Promise<void> {
  for (const k of overflowsPresent(bridge, OVERFLOW_CAP)) {
    await run('ip', ['link', 'del', linkNames(bridge, k).main], { allowFail: true });
    await deleteBridge(overflowName(bridge, k));
  }
}
