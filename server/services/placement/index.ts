// Placement: which node gets a new VE, by free RAM and disk after overcommit; says why others were skipped.
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { freeAddressCounts } from '@/server/services/ippools/allocate';

type Db = Prisma.TransactionClient | PrismaClient;
const MiB = 1024 * 1024;

export interface PlacementRequest {
  /** Only nodes of this group (default: every node). */
  nodeGroupId?: string | null;
  /** Only these nodes (an explicit node choice is checked the same way). */
  nodeIds?: string[];
  /** MiB */
  ram: number;
  /** MiB */
  diskspace: number;
  /** Addresses the VE will need from the node's pools. */
  ipv4?: number;
  ipv6?: number;
  /** The VE's template: a node whose cache of it is ready is preferred (no copy before the create). */
  templateId?: string;
}

export interface NodeCapacity {
  id: string;
  name: string;
  /** MiB after overcommit; null when the node has not reported its figures yet. */
  ramTotal: number | null;
  diskTotal: number | null;
  /** Sum of the limits of the VEs already on the node, MiB. */
  ramUsed: number;
  diskUsed: number;
}

export interface Placement {
  node: { id: string; name: string };
  /** MiB left on the chosen node after this VE. */
  ramFree: number;
  diskFree: number;
  skipped: Array<{ node: string; reason: string }>;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function totalsFromInfo(info: unknown): { ram: number | null; disk: number | null } {
  const i = (info ?? {}) as { memory?: { totalBytes?: unknown }; disk?: { totalBytes?: unknown } };
  const ram = num(i.memory?.totalBytes);
  const disk = num(i.disk?.totalBytes);
  return { ram: ram === null ? null : ram / MiB, disk: disk === null ? null : disk / MiB };
}

// One row per node, kept by triggers on "Ve" (migration h182_node_commitment): not a sum over
// every VE of the node on each create (issue 15).
async function usedByNode(db: Db, nodeIds: string[]): Promise<Map<string, { ram: number; disk: number }>> {
  const rows = await db.$queryRaw<Array<{ nodeId: string; ram: bigint; disk: bigint }>>`
    SELECT "nodeId", ram::bigint AS ram, disk::bigint AS disk FROM "NodeCommitment" WHERE "nodeId" = ANY(${nodeIds}::text[])`;
  return new Map(rows.map((r) => [r.nodeId, { ram: Number(r.ram), disk: Number(r.disk) }]));
}

const CAPACITY_FIELDS = { id: true, name: true, info: true, overcommitRam: true, overcommitDisk: true } as const;
type CapacityFields = Prisma.NodeGetPayload<{ select: typeof CAPACITY_FIELDS }>;

/** Capacity and commitments of nodes (MiB), as placement sees them. */
export async function nodeCapacities(db: Db, where: Prisma.NodeWhereInput = {}): Promise<NodeCapacity[]> {
  return capacitiesOf(db, await db.node.findMany({ where, select: CAPACITY_FIELDS, orderBy: { name: 'asc' } }));
}

async function capacitiesOf(db: Db, nodes: CapacityFields[]): Promise<NodeCapacity[]> {
  const used = await usedByNode(db, nodes.map((n) => n.id));
  return nodes.map((n) => {
    const t = totalsFromInfo(n.info);
    const u = used.get(n.id) ?? { ram: 0, disk: 0 };
    return {
      id: n.id,
      name: n.name,
      ramTotal: t.ram === null ? null : Math.floor(t.ram * n.overcommitRam),
      diskTotal: t.disk === null ? null : Math.floor(t.disk * n.overcommitDisk),
      ramUsed: u.ram,
      diskUsed: u.disk,
    };
  });
}

async function readyNodes(db: Db, templateId: string | undefined, nodeIds: string[]): Promise<Set<string>> {
  if (!templateId || nodeIds.length < 2) return new Set();
  const rows = await db.templateCache.findMany({ where: { templateId, state: 'ready', nodeId: { in: nodeIds } }, select: { nodeId: true } });
  return new Set(rows.map((r) => r.nodeId));
}

/**
 * Picks the node with the most free RAM (then disk) that can take the VE, preferring nodes whose
 * cache of the VE's template is ready, skipping offline,
 * unknown, maintenance and host-key-mismatch nodes. When none fits it throws CAPACITY at once,
 * with one reason per node in the message and in `data.skipped`.
 */
export async function chooseNode(db: Db, req: PlacementRequest): Promise<Placement> {
  const where: Prisma.NodeWhereInput = {
    ...(req.nodeGroupId ? { nodeGroupId: req.nodeGroupId } : {}),
    ...(req.nodeIds ? { id: { in: req.nodeIds } } : {}),
  };
  // One read of the nodes serves both the checks and the capacities (every create places).
  const nodes = await db.node.findMany({ where, select: { ...CAPACITY_FIELDS, state: true, stateReason: true, maintenance: true, hostKeyMismatch: true }, orderBy: { name: 'asc' } });
  if (!nodes.length) {
    throw new AppError('CAPACITY', req.nodeGroupId ? 'The node group has no nodes' : 'There are no nodes to place the VE on', { skipped: [] });
  }
  const caps = new Map((await capacitiesOf(db, nodes)).map((c) => [c.id, c]));
  const needIps = (req.ipv4 ?? 0) > 0 || (req.ipv6 ?? 0) > 0;
  const ips = needIps ? await freeAddressCounts(db, nodes.map((n) => n.id)) : null;
  const skipped: Placement['skipped'] = [];
  const fits: Array<Omit<Placement, 'skipped'>> = [];
  const noIps: Array<Omit<Placement, 'skipped'>> = [];
  for (const n of nodes) {
    const skip = (reason: string) => skipped.push({ node: n.name, reason });
    const c = caps.get(n.id)!;
    if (n.hostKeyMismatch) skip('host key mismatch: connections refused until an admin accepts the new key');
    else if (n.maintenance) skip('in maintenance');
    else if (n.state === 'offline') skip(`offline${n.stateReason ? ` (${n.stateReason})` : ''}`);
    else if (n.state !== 'online') skip('not reached yet (state unknown)');
    else if (c.ramTotal === null || c.diskTotal === null) skip('has not reported its memory and disk yet');
    else if (c.ramTotal - c.ramUsed < req.ram) skip(`needs ${req.ram} MiB RAM, ${Math.max(0, c.ramTotal - c.ramUsed)} MiB free of ${c.ramTotal}`);
    else if (c.diskTotal - c.diskUsed < req.diskspace) skip(`needs ${req.diskspace} MiB disk, ${Math.max(0, c.diskTotal - c.diskUsed)} MiB free of ${c.diskTotal}`);
    else {
      const fit = { node: { id: n.id, name: n.name }, ramFree: c.ramTotal - c.ramUsed - req.ram, diskFree: c.diskTotal - c.diskUsed - req.diskspace };
      const free = ips?.get(n.id);
      // Short of addresses only: kept as a last resort so allocation can name the empty pool exactly.
      if (free && (free.v4 < (req.ipv4 ?? 0) || free.v6 < (req.ipv6 ?? 0))) noIps.push(fit);
      else fits.push(fit);
    }
  }
  // Holding the template ready outranks room: the create starts at once instead of after a copy, and
  // distribution makes every host ready soon after a version appears, so room decides in the steady state.
  const ready = await readyNodes(db, req.templateId, fits.map((f) => f.node.id));
  const byRoom = (a: Omit<Placement, 'skipped'>, b: Omit<Placement, 'skipped'>) =>
    Number(ready.has(b.node.id)) - Number(ready.has(a.node.id)) || b.ramFree - a.ramFree || b.diskFree - a.diskFree || a.node.name.localeCompare(b.node.name);
  fits.sort(byRoom);
  noIps.sort(byRoom);
  if (!fits.length && noIps.length) return { ...noIps[0], skipped };
  if (!fits.length) {
    const why = skipped.map((s) => `${s.node}: ${s.reason}`).join('; ');
    throw new AppError('CAPACITY', `No node can take a VE with ${req.ram} MiB RAM and ${req.diskspace} MiB disk: ${why}`, { skipped });
  }
  return { ...fits[0], skipped };
}
