// Where a webhook may be delivered: never to the panel's own host, link-local or cloud metadata
// addresses, or the node and VE networks, unless an admin allow-listed the network. The host name is
// resolved once, every address it resolves to is checked, and the caller connects to the checked one.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { parseOrBadInput } from '@/server/services/plans/limits';

export const ALLOW_SETTING = 'webhooks.allowedNetworks';

// Always refused (unless allow-listed): loopback, unspecified, link-local (cloud metadata lives
// there: 169.254.169.254, fd00:ec2::254), multicast and broadcast.
const FIXED: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['127.0.0.0', 8, 'ipv4', 'loopback'], ['0.0.0.0', 8, 'ipv4', 'unspecified'], ['169.254.0.0', 16, 'ipv4', 'link-local/metadata'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'], ['255.255.255.255', 32, 'ipv4', 'broadcast'], ['100.100.100.200', 32, 'ipv4', 'metadata'],
  ['::1', 128, 'ipv6', 'loopback'], ['::', 128, 'ipv6', 'unspecified'], ['fe80::', 10, 'ipv6', 'link-local'], ['ff00::', 8, 'ipv6', 'multicast'],
  ['fd00:ec2::254', 128, 'ipv6', 'metadata'],
];

const Cidr = z.string().trim().max(64).refine((c) => {
  const [ip, bits, extra] = c.split('/');
  const fam = isIP(ip);
  const n = bits === undefined ? (fam === 4 ? 32 : 128) : Number(bits);
  return fam !== 0 && extra === undefined && Number.isInteger(n) && n >= 0 && n <= (fam === 4 ? 32 : 128);
}, 'an IPv4 or IPv6 network in CIDR form, e.g. 10.0.5.0/24');
export const AllowedNetworksInput = z.object({ networks: z.array(Cidr).max(100) });

function add(list: BlockList, cidr: string): void {
  const [ip, bits] = cidr.split('/');
  const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  list.addSubnet(ip, bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits), type);
}

/** The admin's allow-list of networks webhooks may reach although they are otherwise refused. */
export async function getAllowedNetworks(prisma: PrismaClient): Promise<string[]> {
  const row = await prisma.setting.findUnique({ where: { key: ALLOW_SETTING } });
  const parsed = AllowedNetworksInput.shape.networks.safeParse(row?.value);
  return parsed.success ? parsed.data : [];
}

export async function setAllowedNetworks(prisma: PrismaClient, raw: z.input<typeof AllowedNetworksInput>): Promise<string[]> {
  const { networks } = parseOrBadInput(AllowedNetworksInput, raw);
  await prisma.setting.upsert({ where: { key: ALLOW_SETTING }, update: { value: networks }, create: { key: ALLOW_SETTING, value: networks } });
  return networks;
}

/** Why `address` may not receive webhooks, or null. `internal` are the node/VE networks and node addresses. */
export function refusedBecause(address: string, internal: string[], allowed: string[]): string | null {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = v4 ?? address;
  const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  const allow = new BlockList();
  for (const c of allowed) add(allow, c);
  if (allow.check(ip, type)) return null;
  for (const [net, bits, t, what] of FIXED) {
    const b = new BlockList();
    b.addSubnet(net, bits, t);
    if (b.check(ip, type)) return what;
  }
  const inside = new BlockList();
  for (const c of internal) add(inside, c);
  return inside.check(ip, type) ? 'node or VE network' : null;
}

async function internalNetworks(prisma: PrismaClient): Promise<string[]> {
  const [pools, nodes] = await Promise.all([prisma.ipPool.findMany({ select: { cidr: true } }), prisma.node.findMany({ select: { address: true } })]);
  return [...pools.map((p) => p.cidr), ...nodes.map((n) => n.address).filter((a) => isIP(a) !== 0)].filter((c) => isIP(c.split('/')[0]) !== 0);
}

/**
 * Resolves the host of webhook `url` once and returns the address to connect to. Throws FORBIDDEN
 * when any address it resolves to is refused (so a name cannot mix a public and an internal
 * address), UNPROCESSABLE when it does not resolve.
 */
export async function checkedWebhookAddress(prisma: PrismaClient, url: string): Promise<{ address: string; family: 4 | 6 }> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const found = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true }).catch(() => []);
  if (found.length === 0) throw new AppError('UNPROCESSABLE', `cannot resolve ${host}`);
  const [internal, allowed] = await Promise.all([internalNetworks(prisma), getAllowedNetworks(prisma)]);
  for (const a of found) {
    const why = refusedBecause(a.address, internal, allowed);
    if (why) throw new AppError('FORBIDDEN', `refused: ${host} resolves to ${a.address} (${why}); an admin can allow-list the network`);
  }
  return { address: found[0].address, family: found[0].family === 6 ? 6 : 4 };
}
