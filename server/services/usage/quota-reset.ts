// An admin's reset of a VE's quota ladder: everything in force lifts now, and the period's traffic
// so far is forgiven (the ladder counts again from zero until the next period).
import type { PrismaClient } from '@/server/db/client';
import { lockVe } from '@/server/services/ves/lock';
import type { Actor } from '@/server/services/ves/scope';
import { AppError } from '@/server/errors';
import { anchorDayOf, billingPeriod, periodUsage } from './period';
import { commitLadder, LADDER_SELECT, type Outcome } from './quota-apply';
import { announce } from './quota-announce';

export async function resetQuota(prisma: PrismaClient, actor: Actor, veId: string, now = new Date()): Promise<Outcome> {
  const row = await prisma.ve.findUnique({ where: { id: veId }, select: LADDER_SELECT });
  if (!row) throw new AppError('NOT_FOUND', 'VE not found');
  const period = billingPeriod(anchorDayOf(row), now);
  const u = (await periodUsage(prisma, [veId], period.start, period.end)).get(veId)!;
  const traffic = u.netIn + u.netOut;
  const out = await prisma.$transaction(async (tx) => {
    await lockVe(tx, veId, { actor });
    const ve = await tx.ve.findUniqueOrThrow({ where: { id: veId }, select: LADDER_SELECT });
    return commitLadder(tx, ve, { lift: 'reset', steps: [], period, offset: traffic, now, used: 0, pct: 0 });
  }, { maxWait: 10_000, timeout: 15_000 });
  await announce(prisma, out, now);
  return out;
}
