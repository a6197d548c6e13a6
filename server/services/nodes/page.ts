// One page of the node list, filtered and counted by the database (the list stays fast with 1,000 nodes).
import type { NodeState, Prisma, PrismaClient } from '@/server/db/client';
import { nodeSelect, present, type NodeView } from './index';

export interface NodePageQuery {
  /** Part of the name or address. */
  q?: string;
  state?: NodeState;
  /** A group id, or 'none' for nodes in no group. */
  nodeGroupId?: string;
  maintenance?: boolean;
  page: number;
  pageSize: number;
}

export async function listNodesPage(prisma: PrismaClient, query: NodePageQuery): Promise<{ items: Array<NodeView & { veCount: number }>; total: number }> {
  const where: Prisma.NodeWhereInput = {
    ...(query.q ? { OR: [{ name: { contains: query.q, mode: 'insensitive' } }, { address: { contains: query.q, mode: 'insensitive' } }] } : {}),
    ...(query.state ? { state: query.state } : {}),
    ...(query.nodeGroupId ? { nodeGroupId: query.nodeGroupId === 'none' ? null : query.nodeGroupId } : {}),
    ...(query.maintenance !== undefined ? { maintenance: query.maintenance } : {}),
  };
  const [rows, total] = await Promise.all([
    prisma.node.findMany({
      where, select: { ...nodeSelect, _count: { select: { ves: true } } }, orderBy: { name: 'asc' },
      skip: (query.page - 1) * query.pageSize, take: query.pageSize,
    }),
    prisma.node.count({ where }),
  ]);
  return { items: rows.map(({ _count, ...n }) => ({ ...present(n), veCount: _count.ves })), total };
}
