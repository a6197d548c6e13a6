// A VE's quota ladder as its pages and billing read it, and billing's per-VE anchor day.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { anchorDayOf, billingPeriod, periodUsage } from './period';
import { LADDER_SELECT } from './quota-apply';
import { quotaView, type QuotaStateView } from './quota-view';

/** The ladder of VE `veId` in its current billing period (null: no quota, nothing in force). */
export async function quotaStateOf(prisma: PrismaClient, veId: string, now = new Date()): Promise<{ period: { start: Date; end: Date }; quota: QuotaStateView | null }> {
  const ve = await prisma.ve.findUnique({ where: { id: veId }, select: LADDER_SELECT });
  if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
  const period = billingPeriod(anchorDayOf(ve), now);
  const u = (await periodUsage(prisma, [veId], period.start, period.end)).get(veId)!;
  return { period, quota: quotaView({ policy: ve.plan?.usagePolicy ?? null, state: ve.usage }, u.netIn + u.netOut, period) };
}

/** Sets (1-28) or clears (null: back to the plan's, else the creation day) the VE's billing anchor day. */
export async function setAnchorDay(prisma: PrismaClient, veId: string, anchorDay: number | null): Promise<{ anchorDay: number; source: 've' | 'plan' | 'created' }> {
  const ve = await prisma.ve.findUnique({ where: { id: veId }, select: { id: true } });
  if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
  await prisma.veUsage.upsert({ where: { veId }, create: { veId, anchorDay }, update: { anchorDay } });
  const row = await prisma.ve.findUniqueOrThrow({ where: { id: veId }, select: LADDER_SELECT });
  const source = row.usage?.anchorDay != null ? 've' : row.plan?.usagePolicy?.anchorDay != null ? 'plan' : 'created';
  return { anchorDay: anchorDayOf(row), source };
}
