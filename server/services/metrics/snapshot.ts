// What the panel's fleet gauges show, in three grouped queries (independent of the fleet's size).
import type { PrismaClient } from '@/server/db/client';
import { TaskStatus } from '@/server/db/client';

export interface PanelSnapshot {
  tasksByState: Map<string, number>;
  queuedByNode: Map<string, number>;
  nodes: { name: string; state: string; maintenance: boolean }[];
  vesByNode: { node: string; state: string; count: number }[];
}

export async function panelSnapshot(prisma: PrismaClient): Promise<PanelSnapshot> {
  const [byState, queued, nodes, ves] = await Promise.all([
    prisma.task.groupBy({ by: ['status'], _count: { _all: true } }),
    prisma.task.groupBy({ by: ['nodeId'], where: { status: 'queued' }, _count: { _all: true } }),
    prisma.node.findMany({ select: { id: true, name: true, state: true, maintenance: true }, orderBy: { name: 'asc' } }),
    prisma.ve.groupBy({ by: ['nodeId', 'state'], _count: { _all: true } }),
  ]);
  const nameOf = new Map(nodes.map((n) => [n.id, n.name]));
  // Every state appears (0 when none), so a dashboard's query never misses a series.
  const tasksByState = new Map<string, number>(Object.values(TaskStatus).map((s) => [s, 0]));
  for (const r of byState) tasksByState.set(r.status, r._count._all);
  const queuedByNode = new Map<string, number>(nodes.map((n) => [n.name, 0]));
  for (const r of queued) queuedByNode.set(r.nodeId ? (nameOf.get(r.nodeId) ?? r.nodeId) : '', r._count._all);
  return {
    tasksByState,
    queuedByNode,
    nodes: nodes.map((n) => ({ name: n.name, state: n.state, maintenance: n.maintenance })),
    vesByNode: ves.map((v) => ({ node: nameOf.get(v.nodeId) ?? v.nodeId, state: v.state, count: v._count._all })),
  };
}
