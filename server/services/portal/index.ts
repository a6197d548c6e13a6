// The customer portal's reads: every query is AND-ed with ownerScope(user), so another customer's
// VE (or its tasks) answers exactly like a missing one.
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { listTasks, type ListTasksInput } from '@/server/services/tasks';
import { getVe, listVes, ownerScope, VE_NOT_FOUND, type ListVesInput } from '@/server/services/ves';

type User = { id: string };

/** Tasks of VEs `user` owns, whatever the user's role (the portal never widens to everything). */
export function ownTaskScope(user: User): Prisma.TaskWhereInput {
  if (!user.id) throw new Error('ownTaskScope needs a user id');
  return { ve: { ownerId: user.id } };
}

export function listMyVes(prisma: PrismaClient, user: User, filters: Pick<ListVesInput, 'q' | 'page' | 'pageSize' | 'sort' | 'dir'>) {
  return listVes(prisma, filters, ownerScope(user));
}

/** One of the user's VEs with its node's availability and the templates its plan allows for a reinstall. */
export async function getMyVe(prisma: PrismaClient, user: User, id: string) {
  const ve = await getVe(prisma, id, ownerScope(user));
  const row = await prisma.ve.findFirstOrThrow({
    where: { AND: [ownerScope(user), { id }] },
    select: { nodeId: true, node: { select: { maintenance: true, state: true } }, plan: { select: { templates: { select: { id: true } } } } },
  });
  const allowed = row.plan?.templates.map((t) => t.id) ?? [];
  const templates = await prisma.template.findMany({
    where: { enabled: true, ...(allowed.length ? { id: { in: allowed } } : {}) },
    select: { id: true, name: true, os: true, version: true },
    orderBy: { name: 'asc' },
  });
  return { ve, nodeId: row.nodeId, maintenance: row.node.maintenance, nodeOnline: row.node.state !== 'offline', templates };
}

/** The user's own VE's node and CTID (for live usage); NOT_FOUND otherwise. */
export async function myVeLocation(prisma: PrismaClient, user: User, id: string) {
  const ve = await prisma.ve.findFirst({ where: { AND: [ownerScope(user), { id }] }, select: { nodeId: true, ctid: true, state: true } });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  return ve;
}

export function listMyTasks(prisma: PrismaClient, user: User, filters: ListTasksInput) {
  return listTasks(prisma, filters, ownTaskScope(user));
}
