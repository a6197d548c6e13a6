// IP pools: a network (gateway, prefix, nameservers) whose addresses are rows, bound to nodes or a node group.
import { z } from 'zod';
import { Prisma, type PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { parseOrBadInput } from '@/server/services/plans/limits';
import { canonicalIp, cidrContains, formatCidr, formatIp, parseCidr, parseIp, type Cidr } from './ip';

export * from './allocate';
export * from './ip';

/** A pool materialises its addresses as rows; more than this is a typo or needs several pools. */
export const MAX_POOL_ADDRESSES = 65_536;
/** An IPv6 pool without an explicit range hands out the first addresses of its network. */
export const DEFAULT_V6_ADDRESSES = 4096;

const Ip = z.string().trim().max(45).refine((s) => parseIp(s) !== null, 'not an IP address');

export const PoolInput = z.object({
  name: z.string().trim().min(1).max(64).regex(/^[\w .:+-]+$/, 'letters, digits, space, . _ : + - only'),
  cidr: z.string().trim().max(50).refine((s) => parseCidr(s) !== null, 'not a network in CIDR form (host bits must be zero)'),
  gateway: Ip.nullish(),
  nameservers: z.array(Ip).max(4).default([]),
  nodeGroupId: z.string().min(1).max(64).nullish(),
  nodeIds: z.array(z.string().min(1).max(64)).max(1000).default([]),
  /** Optional sub-range of the network to hand out (inclusive). */
  first: Ip.optional(),
  last: Ip.optional(),
});
export type PoolInput = z.input<typeof PoolInput>;

export const PoolPatch = z
  .object({ gateway: Ip.nullable(), nameservers: z.array(Ip).max(4), nodeGroupId: z.string().min(1).max(64).nullable(), nodeIds: z.array(z.string().min(1).max(64)).max(1000) })
  .partial()
  .strict();
export type PoolPatch = z.input<typeof PoolPatch>;

function bad(field: string, message: string): never {
  throw new AppError('BAD_INPUT', `${field}: ${message}`, { field });
}

// The addresses a pool hands out: the given range, else every host of the network (IPv6: its first few thousand).
function hostRange(net: Cidr, first?: string, last?: string): [bigint, bigint] {
  const end = net.network + net.size - 1n;
  let lo = net.family === 4 && net.prefix < 31 ? net.network + 1n : net.network;
  let hi = net.family === 4 && net.prefix < 31 ? end - 1n : end;
  if (net.family === 6) {
    lo = net.network + 1n;
    hi = hi < lo + BigInt(DEFAULT_V6_ADDRESSES) - 1n ? hi : lo + BigInt(DEFAULT_V6_ADDRESSES) - 1n;
  }
  if (first) {
    const p = parseIp(first)!;
    if (!cidrContains(net, p)) bad('first', `${first} is outside ${formatCidr(net)}`);
    lo = p.value;
  }
  if (last) {
    const p = parseIp(last)!;
    if (!cidrContains(net, p)) bad('last', `${last} is outside ${formatCidr(net)}`);
    hi = p.value;
  }
  if (hi < lo) bad('last', 'range ends before it starts');
  if (hi - lo + 1n > BigInt(MAX_POOL_ADDRESSES)) bad('cidr', `a pool holds at most ${MAX_POOL_ADDRESSES} addresses; give a smaller network or a first/last range`);
  return [lo, hi];
}

async function checkBindings(prisma: PrismaClient, nodeGroupId: string | null | undefined, nodeIds: string[] | undefined) {
  if (nodeGroupId && !(await prisma.nodeGroup.findUnique({ where: { id: nodeGroupId }, select: { id: true } }))) bad('nodeGroupId', 'unknown node group');
  if (nodeIds?.length) {
    const found = await prisma.node.count({ where: { id: { in: nodeIds } } });
    if (found !== new Set(nodeIds).size) bad('nodeIds', 'unknown node');
  }
}

function checkGateway(net: Cidr, gateway: string | null | undefined) {
  if (gateway && !cidrContains(net, parseIp(gateway)!)) bad('gateway', `${gateway} is outside ${formatCidr(net)}`);
}

/** Creates a pool and its address rows; the gateway's row (if in range) is marked reserved. */
export async function createPool(prisma: PrismaClient, input: PoolInput) {
  const data = parseOrBadInput(PoolInput, input);
  const net = parseCidr(data.cidr)!;
  const gateway = data.gateway ? canonicalIp(data.gateway) : null;
  checkGateway(net, gateway);
  const [lo, hi] = hostRange(net, data.first, data.last);
  await checkBindings(prisma, data.nodeGroupId, data.nodeIds);
  const addresses: string[] = [];
  for (let v = lo; v <= hi; v++) addresses.push(formatIp({ family: net.family, value: v }));
  try {
    return await prisma.$transaction(async (tx) => {
      const taken = await tx.ipAddress.findFirst({ where: { address: { in: addresses } }, select: { address: true, pool: { select: { name: true } } } });
      if (taken) throw new AppError('CONFLICT', `${taken.address} already belongs to pool ${taken.pool.name}`, { field: 'cidr' });
      const pool = await tx.ipPool.create({
        data: {
          name: data.name,
          cidr: formatCidr(net),
          family: net.family,
          prefix: net.prefix,
          gateway,
          nameservers: data.nameservers.map((n) => canonicalIp(n)!),
          nodeGroupId: data.nodeGroupId ?? null,
          nodes: { connect: data.nodeIds.map((id) => ({ id })) },
        },
      });
      await tx.$executeRaw`
        INSERT INTO "IpAddress" (id, address, "poolId", reserved)
        SELECT gen_random_uuid()::text, a, ${pool.id}, a = ${gateway ?? ''} FROM unnest(${addresses}::text[]) AS a`;
      return pool;
    }, { timeout: 60_000 });
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
      const target = String(e.meta?.target ?? e.message);
      throw new AppError('CONFLICT', target.includes('name') ? `A pool named ${data.name} already exists` : 'Some of these addresses already belong to another pool', { field: target.includes('name') ? 'name' : 'cidr' });
    }
    throw e;
  }
}

export interface PoolUsage {
  total: number;
  used: number;
  reserved: number;
  free: number;
}

async function usage(prisma: PrismaClient, poolIds: string[]): Promise<Map<string, PoolUsage>> {
  const rows = await prisma.$queryRaw<Array<{ poolId: string; total: bigint; used: bigint; reserved: bigint }>>`
    SELECT "poolId", count(*) AS total, count("veId") AS used, count(*) FILTER (WHERE reserved AND "veId" IS NULL) AS reserved
    FROM "IpAddress" WHERE "poolId" = ANY(${poolIds}::text[]) GROUP BY "poolId"`;
  const out = new Map<string, PoolUsage>();
  for (const r of rows) {
    const [total, used, reserved] = [Number(r.total), Number(r.used), Number(r.reserved)];
    out.set(r.poolId, { total, used, reserved, free: total - used - reserved });
  }
  return out;
}

const poolInclude = { nodeGroup: { select: { id: true, name: true } }, nodes: { select: { id: true, name: true }, orderBy: { name: 'asc' } } } as const;

export async function listPools(prisma: PrismaClient) {
  const pools = await prisma.ipPool.findMany({ include: poolInclude, orderBy: { name: 'asc' } });
  const u = await usage(prisma, pools.map((p) => p.id));
  return pools.map((p) => ({ ...p, usage: u.get(p.id) ?? { total: 0, used: 0, reserved: 0, free: 0 } }));
}

export type PoolView = Awaited<ReturnType<typeof listPools>>[number];

export async function getPool(prisma: PrismaClient, id: string): Promise<PoolView> {
  const pool = await prisma.ipPool.findUnique({ where: { id }, include: poolInclude });
  if (!pool) throw new AppError('NOT_FOUND', 'IP pool not found');
  return { ...pool, usage: (await usage(prisma, [id])).get(id) ?? { total: 0, used: 0, reserved: 0, free: 0 } };
}

/** Addresses of a pool with the VE holding each (paginated, in address order). */
export async function listPoolAddresses(prisma: PrismaClient, poolId: string, opts: { skip?: number; take?: number } = {}) {
  return prisma.$queryRaw<Array<{ id: string; address: string; reserved: boolean; veId: string | null; ctid: number | null; hostname: string | null }>>`
    SELECT a.id, a.address, a.reserved, a."veId", v.veid AS ctid, v.hostname
    FROM "IpAddress" a LEFT JOIN "Ve" v ON v.id = a."veId"
    WHERE a."poolId" = ${poolId} ORDER BY a.address::inet
    OFFSET ${opts.skip ?? 0}::int LIMIT ${Math.min(opts.take ?? 256, 1024)}::int`;
}

export async function updatePool(prisma: PrismaClient, id: string, patch: PoolPatch) {
  const data = parseOrBadInput(PoolPatch, patch);
  const pool = await getPool(prisma, id);
  const gateway = data.gateway === undefined ? undefined : data.gateway && canonicalIp(data.gateway);
  checkGateway(parseCidr(pool.cidr)!, gateway);
  await checkBindings(prisma, data.nodeGroupId, data.nodeIds);
  await prisma.ipPool.update({
    where: { id },
    data: {
      ...(gateway !== undefined ? { gateway } : {}),
      ...(data.nameservers ? { nameservers: data.nameservers.map((n) => canonicalIp(n)!) } : {}),
      ...(data.nodeGroupId !== undefined ? { nodeGroupId: data.nodeGroupId } : {}),
      ...(data.nodeIds ? { nodes: { set: data.nodeIds.map((n) => ({ id: n })) } } : {}),
    },
  });
  return getPool(prisma, id);
}

/** Deletes a pool none of whose addresses is in use. */
export async function deletePool(prisma: PrismaClient, id: string): Promise<void> {
  const pool = await getPool(prisma, id);
  if (pool.usage.used > 0) throw new AppError('CONFLICT', `IP pool ${pool.name} still has ${pool.usage.used} address(es) in use`);
  await prisma.ipPool.delete({ where: { id } });
}

/** Holds an address back from allocation (or releases the hold); an address in use cannot be reserved. */
export async function setAddressReserved(prisma: PrismaClient, address: string, reserved: boolean): Promise<void> {
  const canonical = canonicalIp(address) ?? bad('address', 'not an IP address');
  const n = await prisma.ipAddress.updateMany({ where: { address: canonical, ...(reserved ? { veId: null } : {}) }, data: { reserved } });
  if (n.count === 0) {
    const row = await prisma.ipAddress.findUnique({ where: { address: canonical }, select: { veId: true } });
    if (!row) throw new AppError('NOT_FOUND', `${canonical} is in no pool`);
    throw new AppError('CONFLICT', `${canonical} is in use by a VE`);
  }
}
