// What a VE's plan allows in backups and snapshots (0 = none for customers).
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { ownerScope, scoped, VE_NOT_FOUND, type Actor } from '@/server/services/ves/scope';

export async function myVeQuota(prisma: PrismaClient, actor: Actor, veId: string) {
  const scope = actor.role === 'customer' ? ownerScope({ id: actor.userId ?? '' }) : undefined;
  const ve = await prisma.ve.findFirst({ where: scoped({ id: veId }, scope), select: { plan: { select: { backupLimit: true, snapshotLimit: true } } } });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  return { backupLimit: ve.plan?.backupLimit ?? 0, snapshotLimit: ve.plan?.snapshotLimit ?? 0 };
}
