// nftables bridge-family filter: a VE's veth may only send from its own MAC and addresses.
//
// One table per bridge holds one chain of fixed rules and five sets keyed by port name (issue 15):
// a port's policy is a handful of set elements, so installing, replacing or removing one is one nft
// run whose cost does not grow with the VEs on the node. (The first layout, a chain per port behind a
// verdict map, made every nft run load every chain's rules and the kernel check every jump: ~1 s
// per start at 1,300 VEs. That table, `vzas_<bridge>`, is converted when the agent starts.)
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { ipToBigInt, parseCidr } from '../config/net-addr';
import { BRIDGE_RE } from './bridge';

/** One table per bridge, so several nodes (test vzroots) on one machine never touch each other's rules. */
export const nftTable = (bridge: string) => `vzsp_${bridge.replace(/-/g, '_')}`;
/** The first layout's table (a chain per port); removed once its ports are in the new one. */
const legacyTable = (bridge: string) => `vzas_${bridge.replace(/-/g, '_')}`;

export interface PortPolicy { veth: string; mac: string; ips: string[] }

/** The VE's EUI-64 link-local address (what the kernel gives eth0 from its MAC), as fe80::… text. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const w = [(b[0] ^ 2) << 8 | b[1], b[2] << 8 | 0xff, 0xfe << 8 | b[3], b[4] << 8 | b[5]];
  return `fe80::${w.map((x) => x.toString(16)).join(':')}`;
}

/** An IPv6 address as the 128-bit number nft compares raw payload with (no IPv6 type for the ND target in nft 1.0.6). */
const v6Hex = (addr: string) => `0x${ipToBigInt(addr).toString(16).padStart(32, '0')}`;

const SETS = ['guarded', 'pmac', 'pv4', 'pv6', 'pnd'] as const;
type SetName = (typeof SETS)[number];
/** One set element of a port's policy: the set and the element as nft writes it. */
type Element = [SetName, string];

/**
 * Pure: the table, as commands that make it or bring an existing one up to date in place (sets and
 * their elements stay; the chain's rules are replaced in the same transaction). Frames entering any
 * bridge from a guarded port are dropped unless their source MAC, ARP sender and IP source are the
 * port's own (pmac, pv4, pv6; IPv6 also from :: and fe80::/10). A VE is a host, never a router or a
 * DHCP server: its router advertisements, redirects and DHCP/DHCPv6 server replies are dropped; its
 * neighbour advertisements (and duplicate-address probes) may only name its own addresses or its
 * link-local one (pnd); VLAN-tagged frames, which the per-ethertype rules would not see into, never
 * leave its port. Ports not in `guarded` (the host, links between bridges) pass.
 */
export function tableScript(bridge: string): string {
  if (!BRIDGE_RE.test(bridge)) throw new VeError('BAD_PARAMS', `bad bridge name ${bridge}`);
  const t = `bridge ${nftTable(bridge)}`;
  // @th,64,128: the target address of a neighbour solicitation/advertisement (after type, code, checksum, flags).
  const rules = [
    'iifname != @guarded accept',
    'iifname . ether saddr != @pmac drop',
    'ether type { 8021q, 8021ad, 0x9100 } drop',
    'ether type ip6 icmpv6 type { nd-router-advert, nd-redirect, router-renumbering } drop',
    'ether type ip6 icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @pnd drop',
    'ether type ip6 ip6 saddr :: icmpv6 type nd-neighbor-solicit iifname . @th,64,128 != @pnd drop',
    'ether type ip6 udp sport 547 drop',
    'ether type ip udp sport 67 drop',
    'ether type arp iifname . arp saddr ether != @pmac drop',
    'ether type arp iifname . arp saddr ip != @pv4 drop',
    'ether type ip iifname . ip saddr != @pv4 drop',
    'ether type ip6 ip6 saddr != { ::, fe80::/10 } iifname . ip6 saddr != @pv6 drop',
  ];
  return [
    `add table ${t}`,
    `add set ${t} guarded { type ifname; }`,
    `add set ${t} pmac { type ifname . ether_addr; }`,
    `add set ${t} pv4 { type ifname . ipv4_addr; }`,
    `add set ${t} pv6 { type ifname . ipv6_addr; }`,
    `add set ${t} pnd { typeof iifname . @th,64,128; }`,
    `add chain ${t} pre { type filter hook prerouting priority -200; policy accept; }`,
    `flush chain ${t} pre`,
    ...rules.map((r) => `add rule ${t} pre ${r}`),
    '',
  ].join('\n');
}

/** Pure: the set elements of one port's policy (a port with no IPv4 address gets none in pv4: all its ARP and IPv4 is dropped). */
export function portElements(p: PortPolicy): Element[] {
  if (!/^veth\d{1,11}$/.test(p.veth) || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(p.mac)) {
    throw new VeError('BAD_PARAMS', 'bad veth or MAC for the port policy');
  }
  const addrs = p.ips.map((s) => parseCidr(s)).map((c) => {
    if (!c) throw new VeError('BAD_PARAMS', 'bad address in port policy');
    return c;
  });
  const v4 = [...new Set(addrs.filter((a) => a.family === 4).map((a) => a.addr))];
  const own6 = [...new Set(addrs.filter((a) => a.family === 6).map((a) => a.addr))];
  const port = `"${p.veth}"`;
  return [
    ['guarded', port],
    ['pmac', `${port} . ${p.mac}`],
    ...v4.map((a): Element => ['pv4', `${port} . ${a}`]),
    ...own6.map((a): Element => ['pv6', `${port} . ${a}`]),
    ...[...new Set([linkLocalOf(p.mac), ...own6].map(v6Hex))].map((h): Element => ['pnd', `${port} . ${h}`]),
  ];
}

const lines = (bridge: string, verb: 'add' | 'delete', els: Element[]) => els.map(([s, e]) => `${verb} element bridge ${nftTable(bridge)} ${s} { ${e} }`);

/**
 * What this process knows each port of a bridge has in the kernel, read from the table once (the
 * agent is the only writer of its bridge's table; a failed run drops it and reads again).
 */
const known = new Map<string, Map<string, Element[]>>();
const loading = new Map<string, Promise<Map<string, Element[]>>>();
const legacy = new Set<string>();

interface NftJson { nftables: Array<{ set?: { name: string; table: string; elem?: Array<string | { concat: string[] }> } }> }

/** Reads the table's elements by port; null when the table is missing or not this layout. */
async function readTable(bridge: string): Promise<Map<string, Element[]> | null> {
  const r = await run('nft', ['-j', 'list', 'table', 'bridge', nftTable(bridge)], { allowFail: true, maxOutput: 64 * 1024 * 1024 });
  if (r.code !== 0) return null;
  const ports = new Map<string, Element[]>();
  const sets = (JSON.parse(r.stdout) as NftJson).nftables.flatMap((x) => (x.set ? [x.set] : []));
  if (!SETS.every((n) => sets.some((s) => s.name === n))) return null;
  for (const s of sets) {
    if (!(SETS as readonly string[]).includes(s.name)) continue;
    for (const e of s.elem ?? []) {
      const [port, ...rest] = typeof e === 'string' ? [e] : e.concat;
      const el: Element = [s.name as SetName, [`"${port}"`, ...rest].join(' . ')];
      ports.set(port, [...(ports.get(port) ?? []), el]);
    }
  }
  return ports;
}

async function nft(script: string): Promise<void> {
  await run('nft', ['-f', '-'], { input: script, timeoutMs: 60_000 });
}

/** The bridge's ports as the kernel has them, making the table when it is missing (or in the first layout). */
function portsOf(bridge: string): Promise<Map<string, Element[]>> {
  const have = known.get(bridge);
  if (have) return Promise.resolve(have);
  const p = loading.get(bridge) ?? (async () => {
    const tables = (await run('nft', ['list', 'tables', 'bridge'], { allowFail: true })).stdout;
    if (tables.split('\n').some((l) => l.trim() === `table bridge ${legacyTable(bridge)}`)) legacy.add(bridge);
    let ports = await readTable(bridge);
    if (!ports) {
      // Missing, or without this layout's sets: made (or completed) in place.
      await nft(tableScript(bridge));
      ports = (await readTable(bridge)) ?? new Map();
    }
    known.set(bridge, ports);
    return ports;
  })().finally(() => loading.delete(bridge));
  loading.set(bridge, p);
  return p;
}

/** Pure: the first layout's removal of one port (its map element and chain; adding both first makes it valid when absent). */
export function legacyRemoveScript(bridge: string, veth: string): string {
  const t = legacyTable(bridge);
  const c = `port_${veth}`;
  return [`add chain bridge ${t} ${c}`, `add element bridge ${t} ports { "${veth}" : jump ${c} }`, `delete element bridge ${t} ports { "${veth}" }`, `delete chain bridge ${t} ${c}`, ''].join('\n');
}

/** A port may still have a chain in the first layout's table (a VE started before the upgrade, refresh failed): take it out. */
async function dropLegacyPort(bridge: string, veth: string): Promise<void> {
  if (!legacy.has(bridge)) return;
  const r = await run('nft', ['-f', '-'], { input: legacyRemoveScript(bridge, veth), timeoutMs: 60_000, allowFail: true });
  if (r.code !== 0 && (await run('nft', ['list', 'table', 'bridge', legacyTable(bridge)], { allowFail: true })).code !== 0) legacy.delete(bridge);
}

/** Runs `script` built from what is known; on failure (someone changed the table) reads the table again and retries once. */
async function change(bridge: string, build: (ports: Map<string, Element[]>) => string | null): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const script = build(await portsOf(bridge));
    if (script === null) return;
    const r = await run('nft', ['-f', '-'], { input: script, timeoutMs: 60_000, allowFail: true });
    if (r.code === 0) return;
    known.delete(bridge);
    if (attempt) throw new VeError('INTERNAL', `nft -f failed (exit ${r.code}): ${r.stderr.trim().slice(-500)}`);
  }
}

/** Pure: the commands that turn a port's elements `prev` into `next` ('' when they are the same). */
function diffScript(bridge: string, prev: Element[], next: Element[]): string {
  const key = ([set, e]: Element) => `${set} ${e}`;
  const keep = new Set(next.map(key));
  const had = new Set(prev.map(key));
  return [...lines(bridge, 'delete', prev.filter((e) => !keep.has(key(e)))), ...lines(bridge, 'add', next.filter((e) => !had.has(key(e))))].map((l) => `${l}\n`).join('');
}

/** Install (or replace) the policy of a VE's port atomically in one nft run; call before the VE starts. */
export async function applyPortPolicy(bridge: string, p: PortPolicy): Promise<void> {
  const next = portElements(p);
  await change(bridge, (ports) => diffScript(bridge, ports.get(p.veth) ?? [], next) || null);
  known.get(bridge)?.set(p.veth, next);
  await dropLegacyPort(bridge, p.veth);
}

/** Remove a port's policy (after the VE stops) in one nft run; nothing to run when the port has none. */
export async function removePortPolicy(bridge: string, veth: string): Promise<void> {
  await change(bridge, (ports) => diffScript(bridge, ports.get(veth) ?? [], []) || null);
  known.get(bridge)?.delete(veth);
  await dropLegacyPort(bridge, veth);
}

/**
 * Brings the table's rules up to date and installs these ports' policies (the running VEs, when the
 * agent starts), all in one transaction; other ports keep what they have (a VE starting meanwhile
 * installs its own). Then, with `dropLegacy` (every running VE's policy was given), removes the first
 * layout's table: its ports are in this one now.
 */
export async function refreshPortTable(bridge: string, policies: PortPolicy[], dropLegacy: boolean): Promise<void> {
  const next = policies.map((p) => ({ veth: p.veth, els: portElements(p) }));
  known.delete(bridge); // read the kernel's table (and whether the first layout's is there) afresh
  legacy.delete(bridge);
  // No VE running and no table yet: nothing to make (the first start makes it).
  const tables = (await run('nft', ['list', 'tables', 'bridge'], { allowFail: true })).stdout.split('\n').map((l) => l.trim());
  if (!next.length && !tables.includes(`table bridge ${nftTable(bridge)}`)) {
    if (dropLegacy) await run('nft', ['delete', 'table', 'bridge', legacyTable(bridge)], { allowFail: true });
    return;
  }
  await change(bridge, (ports) => tableScript(bridge) + next.map(({ veth, els }) => diffScript(bridge, ports.get(veth) ?? [], els)).join(''));
  const ports = known.get(bridge);
  for (const { veth, els } of next) ports?.set(veth, els);
  if (dropLegacy && legacy.has(bridge)) {
    await run('nft', ['delete', 'table', 'bridge', legacyTable(bridge)], { allowFail: true });
    legacy.delete(bridge);
  }
}

export async function deletePolicyTable(bridge: string): Promise<void> {
  known.delete(bridge);
  legacy.delete(bridge);
  for (const t of [nftTable(bridge), legacyTable(bridge)]) await run('nft', ['delete', 'table', 'bridge', t], { allowFail: true });
}

/** Whether the kernel has a policy for the port (asks the kernel, not this process's memory). */
export async function portHasPolicy(bridge: string, veth: string): Promise<boolean> {
  const r = await run('nft', ['get', 'element', 'bridge', nftTable(bridge), 'guarded', `{ "${veth}" }`], { allowFail: true });
  return r.code === 0;
}
