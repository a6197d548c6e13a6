// Node groups (a location or a hardware class): named sets of nodes that plans, billing requests
// and IP pools can point at; placement then only considers the group's nodes.
import { z } from 'zod';
import { Prisma, type PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';

export const GroupName = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N} ._()/+-]+$/u, 'letters, digits, space and . _ ( ) / + - only');
export const GroupDescription = z.string().trim().max(500).nullish();

const groupInclude = { _count: { select: { nodes: true, plans: true, ipPools: true } } } as const;
export type NodeGroupView = Prisma.NodeGroupGetPayload<{ include: typeof groupInclude }>;

function uniqueName<T>(name: string, p: Promise<T>): Promise<T> {
  return p.catch((e) => {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') throw new AppError('CONFLICT', `A node group named ${name} already exists`, { field: 'name' });
    throw e;
  });
}

async function mustExist(prisma: PrismaClient | Prisma.TransactionClient, id: string) {
  const g = await prisma.nodeGroup.findUnique({ where: { id }, include: groupInclude });
  if (!g) throw new AppError('NOT_FOUND', 'Node group not found');
  return g;
}

/** Every group with how many nodes, plans and IP pools point at it. */
export function listNodeGroups(prisma: PrismaClient): Promise<NodeGroupView[]> {
  return prisma.nodeGroup.findMany({ include: groupInclude, orderBy: { name: 'asc' } });
}

export async function createNodeGroup(prisma: PrismaClient, input: { name: string; description?: string | null }): Promise<NodeGroupView> {
  const name = GroupName.parse(input.name);
  return uniqueName(name, prisma.nodeGroup.create({ data: { name, description: input.description || null }, include: groupInclude }));
}

/** Renames a group or changes its description; nodes, plans and pools keep pointing at it. */
export async function updateNodeGroup(prisma: PrismaClient, id: string, patch: { name?: string; description?: string | null }): Promise<NodeGroupView> {
  await mustExist(prisma, id);
  const name = patch.name === undefined ? undefined : GroupName.parse(patch.name);
  const data = { ...(name !== undefined ? { name } : {}), ...(patch.description !== undefined ? { description: patch.description || null } : {}) };
  return uniqueName(name ?? '', prisma.nodeGroup.update({ where: { id }, data, include: groupInclude }));
}

/**
 * Deletes a group only when nothing points at it: no node, no plan, no IP pool. Otherwise
 * CONFLICT naming what is still there, so the admin knows what to move first.
 */
export async function deleteNodeGroup(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const g = await mustExist(tx, id);
    const held = [
      g._count.nodes && `${g._count.nodes} node(s)`, g._count.plans && `${g._count.plans} plan(s)`, g._count.ipPools && `${g._count.ipPools} IP pool(s)`,
    ].filter(Boolean);
    if (held.length) {
      throw new AppError('CONFLICT', `Node group ${g.name} is not empty: ${held.join(', ')} still point at it`, { ...g._count });
    }
    await tx.nodeGroup.delete({ where: { id } });
  });
}

/**
 * Puts nodes into a group (or takes them out with `groupId` null). VEs stay where they are;
 * only new placements follow the group. NOT_FOUND names an unknown node id.
 */
export async function assignNodesToGroup(prisma: PrismaClient, groupId: string | null, nodeIds: string[]): Promise<{ updated: number }> {
  return prisma.$transaction(async (tx) => {
    if (groupId) await mustExist(tx, groupId);
    const found = await tx.node.findMany({ where: { id: { in: nodeIds } }, select: { id: true } });
    const missing = nodeIds.filter((id) => !found.some((n) => n.id === id));
    if (missing.length) throw new AppError('NOT_FOUND', `Node not found: ${missing.join(', ')}`, { field: 'nodeIds' });
    const r = await tx.node.updateMany({ where: { id: { in: nodeIds } }, data: { nodeGroupId: groupId } });
    return { updated: r.count };
  });
}
