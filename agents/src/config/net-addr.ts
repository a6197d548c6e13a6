// IPv4/IPv6 address helpers for VE addresses: parse `addr/prefix`, containment, canonical text.
import { isIP } from 'node:net';

export interface Cidr { addr: string; prefix: number; family: 4 | 6 }

export function parseCidr(s: string, defaultPrefix?: number): Cidr | null {
  if (typeof s !== 'string' || s.length > 64 || /[^0-9a-fA-F:./]/.test(s)) return null;
  const [addr, p, extra] = s.split('/');
  if (extra !== undefined) return null;
  const family = isIP(addr);
  if (family !== 4 && family !== 6) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = p === undefined ? (defaultPrefix ?? max) : /^\d{1,3}$/.test(p) ? Number(p) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  return { addr: family === 4 ? addr : addr.toLowerCase(), prefix, family };
}

export function ipToBigInt(addr: string): bigint {
  if (isIP(addr) === 4) return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  let parts = h;
  if (tail !== undefined) parts = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  // Embedded IPv4 tails (::ffff:1.2.3.4) are not VE addresses; refuse them by yielding NaN parts.
  return parts.reduce((acc, x) => (acc << 16n) | BigInt(parseInt(x, 16)), 0n);
}

/** True when `addr` lies inside network `net` (both parsed, same family). */
export function inNetwork(addr: string, net: Cidr): boolean {
  const fam = isIP(addr);
  if (fam !== net.family) return false;
  const bits = BigInt(net.family === 4 ? 32 : 128);
  const shift = bits - BigInt(net.prefix);
  return ipToBigInt(addr) >> shift === ipToBigInt(net.addr) >> shift;
}

export function broadcastV4(c: Cidr): string {
  const host = (1n << BigInt(32 - c.prefix)) - 1n;
  const n = ipToBigInt(c.addr) | host;
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
}
