// nftables bridge-family filter: a VE's veth may only send from its own MAC and addresses.
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { addBounded } from '../sys/bounded';
import { ipToBigInt, parseCidr } from '../config/net-addr';
import { BRIDGE_RE } from './bridge';

/** One table per bridge, so several nodes (test vzroots) on one machine never touch each other's rules. */
export const nftTable = (bridge: string) => `vzas_${bridge.replace(/-/g, '_')}`;
const chainOf = (veth: string) => `port_${veth}`;

export interface PortPolicy { veth: string; mac: string; ips: string[] }

/** The VE's EUI-64 link-local address (what the kernel gives eth0 from its MAC), as fe80::… text. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const w = [(b[0] ^ 2) << 8 | b[1], b[2] << 8 | 0xff, 0xfe << 8 | b[3], b[4] << 8 | b[5]];
  return `fe80::${w.map((x) => x.toString(16)).join(':')}`;
}

/** An IPv6 address as the 128-bit number nft compares raw payload with (no IPv6 type for the ND target). */
const v6Hex = (addr: string) => `0x${ipToBigInt(addr).toString(16).padStart(32, '0')}`;

/**
 * Pure: the nft script that (re)installs the policy of one port. Frames entering the bridge
 * from `veth` are dropped unless their source MAC, ARP sender and IP source are the VE's own.
 * A VE is a host, never a router or a DHCP server: its router advertisements, redirects and
 * DHCP/DHCPv6 server replies are dropped; its neighbour advertisements (and duplicate-address
 * probes) may only name its own addresses or its link-local one; VLAN-tagged frames, which the
 * per-ethertype rules would not see into, never leave its port.
 */
export function portPolicyScript(bridge: string, p: PortPolicy): string {
  if (!BRIDGE_RE.test(bridge) || !/^veth\d{1,11}$/.test(p.veth) || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(p.mac)) {
    throw new VeError('BAD_PARAMS', 'bad bridge, veth or MAC for the port policy');
  }
  const addrs = p.ips.map((s) => parseCidr(s)).map((c) => {
    if (!c) throw new VeError('BAD_PARAMS', 'bad address in port policy');
    return c;
  });
  const v4 = addrs.filter((a) => a.family === 4).map((a) => a.addr);
  const own6 = addrs.filter((a) => a.family === 6).map((a) => a.addr);
  const v6 = ['fe80::/10', '::', ...own6];
  const targets = [...new Set([linkLocalOf(p.mac), ...own6].map(v6Hex))].join(', ');
  const t = nftTable(bridge);
  const c = chainOf(p.veth);
  // @th,64,128: the target address of a neighbour solicitation/advertisement (after type, code, checksum, flags).
  const nd = `add rule bridge ${t} ${c} ether type ip6`;
  return [
    `add chain bridge ${t} ${c}`,
    `flush chain bridge ${t} ${c}`,
    `add rule bridge ${t} ${c} ether saddr != ${p.mac} drop`,
    `add rule bridge ${t} ${c} ether type { 8021q, 8021ad, 0x9100 } drop`,
    `${nd} icmpv6 type { nd-router-advert, nd-redirect, router-renumbering } drop`,
    `${nd} icmpv6 type nd-neighbor-advert @th,64,128 != { ${targets} } drop`,
    `${nd} ip6 saddr :: icmpv6 type nd-neighbor-solicit @th,64,128 != { ${targets} } drop`,
    `${nd} udp sport 547 drop`,
    `add rule bridge ${t} ${c} ether type ip udp sport 67 drop`,
    `add rule bridge ${t} ${c} ether type arp arp saddr ether != ${p.mac} drop`,
    v4.length ? `add rule bridge ${t} ${c} ether type arp arp saddr ip != { ${v4.join(', ')} } drop` : `add rule bridge ${t} ${c} ether type arp drop`,
    v4.length ? `add rule bridge ${t} ${c} ether type ip ip saddr != { ${v4.join(', ')} } drop` : `add rule bridge ${t} ${c} ether type ip drop`,
    `add rule bridge ${t} ${c} ether type ip6 ip6 saddr != { ${v6.join(', ')} } drop`,
    `add element bridge ${t} ports { "${p.veth}" : jump ${c} }`,
    '',
  ].join('\n');
}

async function nft(script: string): Promise<void> {
  await run('nft', ['-f', '-'], { input: script, timeoutMs: 15_000 });
}

/** Pure: the table with its port map and the one dispatching rule (only for a new table). */
export function tableScript(bridge: string): string {
  const t = nftTable(bridge);
  return [
    `table bridge ${t} {`,
    '  map ports { type ifname : verdict; }',
    '  chain pre { type filter hook prerouting priority -200; policy accept; iifname vmap @ports; }',
    '}',
    '',
  ].join('\n');
}

const ensured = new Map<string, Promise<void>>();
// Tables this process made or saw; re-checked only when a script fails (someone deleted it).
const tableKnown = new Set<string>();
// Ports whose policy this process removed and has not re-installed since: destroy after stop skips
// nft. Bounded: a port forgotten here only costs its destroy one nft run.
const removedPorts = new Set<string>();
const MAX_REMOVED_PORTS = 4096;
const portKey = (bridge: string, veth: string) => `${bridge}/${veth}`;

async function ensureTable(bridge: string): Promise<void> {
  if (tableKnown.has(bridge)) return;
  const have = await run('nft', ['list', 'chain', 'bridge', nftTable(bridge), 'pre'], { allowFail: true });
  if (have.code !== 0) {
    // One creation at a time per table in this process, so the dispatch rule is added once.
    const p = ensured.get(bridge) ?? nft(tableScript(bridge)).finally(() => ensured.delete(bridge));
    ensured.set(bridge, p);
    await p;
  }
  tableKnown.add(bridge);
}

/** Pure: one transaction that removes a port's element and chain; adding both first makes it valid when they are absent. */
export function removePortScript(bridge: string, veth: string): string {
  if (!BRIDGE_RE.test(bridge) || !/^veth\d{1,11}$/.test(veth)) throw new VeError('BAD_PARAMS', 'bad bridge or veth for the port policy');
  const t = nftTable(bridge);
  const c = chainOf(veth);
  return [
    `add chain bridge ${t} ${c}`,
    `add element bridge ${t} ports { "${veth}" : jump ${c} }`,
    `delete element bridge ${t} ports { "${veth}" }`,
    `delete chain bridge ${t} ${c}`,
    '',
  ].join('\n');
}

/** Install (or replace) the policy for a VE's port atomically in one nft run; call before the VE starts. */
export async function applyPortPolicy(bridge: string, p: PortPolicy): Promise<void> {
  const script = portPolicyScript(bridge, p);
  await ensureTable(bridge);
  removedPorts.delete(portKey(bridge, p.veth));
  const r = await run('nft', ['-f', '-'], { input: script, timeoutMs: 15_000, allowFail: true });
  if (r.code === 0) return;
  // The table may have been deleted behind our back: check it again and retry once.
  tableKnown.delete(bridge);
  await ensureTable(bridge);
  await nft(script);
}

/**
 * Remove a port's policy (after the VE stops) in one nft run. Missing table/chain is fine.
 * With `unlessRemoved`, skip it when this process already removed it since the last apply.
 */
export async function removePortPolicy(bridge: string, veth: string, opts: { unlessRemoved?: boolean } = {}): Promise<void> {
  const key = portKey(bridge, veth);
  if (opts.unlessRemoved && removedPorts.has(key)) return;
  const r = await run('nft', ['-f', '-'], { input: removePortScript(bridge, veth), timeoutMs: 15_000, allowFail: true });
  if (r.code === 0) addBounded(removedPorts, key, MAX_REMOVED_PORTS);
}

export async function deletePolicyTable(bridge: string): Promise<void> {
  tableKnown.delete(bridge);
  await run('nft', ['delete', 'table', 'bridge', nftTable(bridge)], { allowFail: true });
}

export async function portHasPolicy(bridge: string, veth: string): Promise<boolean> {
  const r = await run('nft', ['list', 'chain', 'bridge', nftTable(bridge), chainOf(veth)], { allowFail: true });
  return r.code === 0;
}
