// Address allocation: row locks with SKIP LOCKED, so concurrent creates never get the same address.
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import type { Family } from './ip';

type Db = Prisma.TransactionClient | PrismaClient;

export interface AllocatedAddress {
  id: string;
  address: string;
  family: Family;
  prefix: number;
  gateway: string | null;
  nameservers: string[];
  poolId: string;
  poolName: string;
}

// Pools a node may take addresses from: bound to it directly or to its node group.
async function usablePools(tx: Db, nodeId: string, family: Family): Promise<Array<{ id: string; name: string }>> {
  return tx.$queryRaw`
    SELECT p.id, p.name FROM "IpPool" p
    WHERE p.family = ${family}::int AND (
      p."nodeGroupId" = (SELECT n."nodeGroupId" FROM "Node" n WHERE n.id = ${nodeId})
      OR EXISTS (SELECT 1 FROM "_IpPoolToNode" x WHERE x."A" = p.id AND x."B" = ${nodeId}))
    ORDER BY p.name`;
}

/**
 * Takes `count` free addresses of `family` from the pools serving `nodeId` and binds them to `veId`,
 * inside the caller's transaction. Rows are claimed with FOR UPDATE SKIP LOCKED: a concurrent
 * transaction never sees an address another one is claiming, so no address is handed out twice.
 * Throws CAPACITY ("IP pool X has no free IPv4 address") when the pools cannot supply `count`;
 * the caller's transaction then rolls back and nothing stays claimed.
 */
export async function allocateAddresses(
  tx: Prisma.TransactionClient,
  opts: { nodeId: string; count: number; family: Family; veId: string },
): Promise<AllocatedAddress[]> {
  if (opts.count <= 0) return [];
  const pools = await usablePools(tx, opts.nodeId, opts.family);
  const fam = `IPv${opts.family}`;
  if (!pools.length) throw new AppError('CAPACITY', `No ${fam} pool serves this node`, { family: opts.family, nodeId: opts.nodeId });
  const poolIds = pools.map((p) => p.id);
  // Claim and bind in one statement, returning what the node needs (was a select, an update and two
  // reads of the bound rows). Short of addresses: the error below rolls the caller's transaction back.
  const rows = await tx.$queryRaw<Array<{ id: string; address: string; family: number; prefix: number; gateway: string | null; nameservers: string[]; poolId: string; poolName: string }>>`
    WITH claimed AS (
      UPDATE "IpAddress" a SET "veId" = ${opts.veId}, "assignedAt" = now()
      FROM "IpPool" p
      WHERE p.id = a."poolId" AND a.id IN (
        SELECT f.id FROM "IpAddress" f JOIN "IpPool" fp ON fp.id = f."poolId"
        WHERE f."poolId" = ANY(${poolIds}::text[]) AND f."veId" IS NULL AND NOT f.reserved
        ORDER BY fp.name, f.address::inet
        LIMIT ${opts.count}::int
        FOR UPDATE OF f SKIP LOCKED)
      RETURNING a.id, a.address, p.family, p.prefix, p.gateway, p.nameservers, p.id AS "poolId", p.name AS "poolName")
    SELECT * FROM claimed ORDER BY address`;
  if (rows.length < opts.count) {
    const names = pools.map((p) => p.name).join(', ');
    const msg = rows.length === 0
      ? `IP pool${pools.length > 1 ? 's' : ''} ${names} ha${pools.length > 1 ? 've' : 's'} no free ${fam} address`
      : `IP pool${pools.length > 1 ? 's' : ''} ${names}: ${opts.count} ${fam} addresses needed, ${rows.length} free`;
    throw new AppError('CAPACITY', msg, { family: opts.family, pools: pools.map((p) => p.name), needed: opts.count, free: rows.length });
  }
  return rows.map((r) => ({ ...r, family: r.family as Family }));
}

/** The addresses bound to a VE with what the node needs to configure them (prefix, gateway, DNS). */
export async function addressesOfVe(db: Db, veId: string, only?: string[]): Promise<AllocatedAddress[]> {
  const rows = await db.ipAddress.findMany({
    where: { veId, ...(only ? { id: { in: only } } : {}) },
    select: { id: true, address: true, pool: { select: { id: true, name: true, family: true, prefix: true, gateway: true, nameservers: true } } },
    orderBy: { address: 'asc' },
  });
  return rows
    .map((r) => ({
      id: r.id,
      address: r.address,
      family: r.pool.family as Family,
      prefix: r.pool.prefix,
      gateway: r.pool.gateway,
      nameservers: r.pool.nameservers,
      poolId: r.pool.id,
      poolName: r.pool.name,
    }))
    .sort((a, b) => a.family - b.family);
}

/**
 * Frees every address of a VE (call when the node has destroyed it). Migration and reinstall do
 * not call this: addresses belong to the VE, not to the node it runs on.
 */
export async function releaseVeAddresses(db: Db, veId: string): Promise<number> {
  return db.$executeRaw`UPDATE "IpAddress" SET "veId" = NULL, "assignedAt" = NULL WHERE "veId" = ${veId}`;
}

/** Free addresses per family that the pools of each node can still hand out (for placement). */
export async function freeAddressCounts(db: Db, nodeIds: string[]): Promise<Map<string, { v4: number; v6: number }>> {
  const rows = await db.$queryRaw<Array<{ nodeId: string; family: number; free: bigint }>>`
    SELECT n.id AS "nodeId", p.family, count(a.id) AS free
    FROM "Node" n
    JOIN "IpPool" p ON p."nodeGroupId" = n."nodeGroupId" OR EXISTS (SELECT 1 FROM "_IpPoolToNode" x WHERE x."A" = p.id AND x."B" = n.id)
    JOIN "IpAddress" a ON a."poolId" = p.id AND a."veId" IS NULL AND NOT a.reserved
    WHERE n.id = ANY(${nodeIds}::text[])
    GROUP BY n.id, p.family`;
  const out = new Map(nodeIds.map((id) => [id, { v4: 0, v6: 0 }]));
  for (const r of rows) out.get(r.nodeId)![r.family === 6 ? 'v6' : 'v4'] = Number(r.free);
  return out;
}

/**
 * Addresses of a VE whose pool does not serve `nodeId` (for migration checks). Addresses stay
 * bound to the VE on migration; an address listed here would not be routed on the target node.
 */
export async function addressesNotServedBy(db: Db, veId: string, nodeId: string): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ address: string }>>`
    SELECT a.address FROM "IpAddress" a JOIN "IpPool" p ON p.id = a."poolId"
    WHERE a."veId" = ${veId}
      AND NOT COALESCE(p."nodeGroupId" = (SELECT n."nodeGroupId" FROM "Node" n WHERE n.id = ${nodeId}), false)
      AND NOT EXISTS (SELECT 1 FROM "_IpPoolToNode" x WHERE x."A" = p.id AND x."B" = ${nodeId})
    ORDER BY a.address::inet`;
  return rows.map((r) => r.address);
}
