// IPv4/IPv6 parsing and canonical formatting as BigInt; the one place address text is normalised.

export type Family = 4 | 6;

export interface ParsedIp {
  family: Family;
  value: bigint;
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function parseV4(s: string): bigint | null {
  if (!V4.test(s)) return null;
  return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function parseV6(s: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return null;
  let head = s;
  let tail4: bigint | null = null;
  const lastColon = s.lastIndexOf(':');
  // Embedded IPv4 tail (::ffff:10.0.0.1) counts as two groups.
  if (s.includes('.')) {
    tail4 = parseV4(s.slice(lastColon + 1));
    if (tail4 === null) return null;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const parts = head.split('::');
  if (parts.length > 2) return null;
  const split = (p: string) => (p === '' ? [] : p.split(':'));
  const left = split(parts[0]);
  const right = parts.length === 2 ? split(parts[1]) : [];
  const missing = 8 - left.length - right.length;
  if (parts.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...left, ...Array(parts.length === 2 ? missing : 0).fill('0'), ...right];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== null) v = (v & ~0xffffffffn) | tail4;
  return v;
}

/** Parses an IPv4 or IPv6 address (no prefix); null when it is not one. */
export function parseIp(s: string): ParsedIp | null {
  const t = s.trim();
  const v4 = parseV4(t);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = t.includes(':') ? parseV6(t) : null;
  return v6 === null ? null : { family: 6, value: v6 };
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as ::). */
export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export const bits = (f: Family) => (f === 4 ? 32 : 128);

/** Canonical text of an address, or null. */
export function canonicalIp(s: string): string | null {
  const p = parseIp(s);
  return p ? formatIp(p) : null;
}

export interface Cidr {
  family: Family;
  network: bigint;
  prefix: number;
  /** Number of addresses in the network. */
  size: bigint;
}

/** Parses "10.0.0.0/24"; refuses host bits set after the prefix (a typo like 10.0.0.5/24). */
export function parseCidr(s: string): Cidr | null {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(s.trim());
  if (!m) return null;
  const ip = parseIp(m[1]);
  const prefix = Number(m[2]);
  if (!ip || prefix > bits(ip.family)) return null;
  const hostBits = BigInt(bits(ip.family) - prefix);
  if (ip.value & ((1n << hostBits) - 1n)) return null;
  return { family: ip.family, network: ip.value, prefix, size: 1n << hostBits };
}

export const formatCidr = (c: Cidr) => `${formatIp({ family: c.family, value: c.network })}/${c.prefix}`;

export function cidrContains(c: Cidr, ip: ParsedIp): boolean {
  return ip.family === c.family && ip.value >= c.network && ip.value < c.network + c.size;
}
