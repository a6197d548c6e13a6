// Who may see which usage: a customer only their own VEs (the portal's owner scope).
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { ownerScope, VE_NOT_FOUND } from '@/server/services/ves';

/** The id of one of `user`'s own VEs; NOT_FOUND for anyone else's (no hint that it exists). */
export async function myVeId(prisma: PrismaClient, user: { id: string }, id: string): Promise<string> {
  const ve = await prisma.ve.findFirst({ where: { AND: [ownerScope(user), { id }] }, select: { id: true } });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  return ve.id;
}

/** Ids of the VEs on a node now. */
export async function nodeVeIds(prisma: PrismaClient, name: string): Promise<string[]> {
  const node = await prisma.node.findUnique({ where: { name }, select: { id: true } });
  if (!node) throw new AppError('NOT_FOUND', 'Node not found');
  return (await prisma.ve.findMany({ where: { nodeId: node.id }, select: { id: true } })).map((v) => v.id);
}
