// Where a VE goes when the admin names no target: placement over every other node that serves its addresses.
import type { Prisma, PrismaClient, Ve } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { addressesNotServedBy } from '@/server/services/ippools/allocate';
import { chooseNode, type Placement } from '@/server/services/placement';

type Db = Prisma.TransactionClient | PrismaClient;

const mib = (limits: unknown, key: string): number => {
  const v = (limits as Record<string, unknown> | null)?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
};

/**
 * Picks a target node for `ve` by placement (most free RAM, then disk), never its own node and
 * only nodes whose pools serve all its addresses (they move with the VE). `exclude` drops more
 * nodes (e.g. targets that already failed). Throws CAPACITY with one reason per node.
 */
export async function chooseMigrationTarget(db: Db, ve: Pick<Ve, 'id' | 'ctid' | 'nodeId' | 'limits'>, exclude: string[] = []): Promise<Placement> {
  const others = await db.node.findMany({ where: { id: { notIn: [ve.nodeId, ...exclude] } }, select: { id: true, name: true, nodeGroupId: true }, orderBy: { name: 'asc' } });
  // A plan bound to a node group keeps its VEs inside that group when they move too.
  const group = (await db.ve.findUnique({ where: { id: ve.id }, select: { plan: { select: { nodeGroup: { select: { id: true, name: true } } } } } }))?.plan?.nodeGroup;
  const skipped: Placement['skipped'] = [];
  const candidates: string[] = [];
  for (const n of others) {
    if (group && n.nodeGroupId !== group.id) {
      skipped.push({ node: n.name, reason: `not in node group ${group.name} (the VE's plan)` });
      continue;
    }
    const unserved = await addressesNotServedBy(db, ve.id, n.id);
    if (unserved.length) skipped.push({ node: n.name, reason: `does not serve ${unserved.join(', ')}` });
    else candidates.push(n.id);
  }
  if (!candidates.length) {
    const why = skipped.map((s) => `${s.node}: ${s.reason}`).join('; ');
    throw new AppError('CAPACITY', `No other node can take VE ${ve.ctid}${why ? `: ${why}` : ': there is no other node'}`, { skipped });
  }
  try {
    const p = await chooseNode(db, { nodeIds: candidates, ram: mib(ve.limits, 'ram'), diskspace: mib(ve.limits, 'diskspace') });
    return { ...p, skipped: [...skipped, ...p.skipped] };
  } catch (e) {
    if (e instanceof AppError && e.code === 'CAPACITY') {
      const inner = ((e.data as { skipped?: Placement['skipped'] } | undefined)?.skipped ?? []);
      const all = [...skipped, ...inner];
      throw new AppError('CAPACITY', `No other node can take VE ${ve.ctid}: ${all.map((s) => `${s.node}: ${s.reason}`).join('; ')}`, { skipped: all });
    }
    throw e;
  }
}

/** One line saying why placement chose this node, and why the others were passed over. */
export function explainPlacement(p: Placement): string {
  const others = p.skipped.length ? `; passed over ${p.skipped.map((s) => `${s.node} (${s.reason})`).join(', ')}` : '';
  return `most room left: ${p.ramFree} MiB RAM and ${p.diskFree} MiB disk free after the move${others}`;
}
