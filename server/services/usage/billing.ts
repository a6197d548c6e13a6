// Usage for billing systems: one VE, or every VE in pages, over a given period or each VE's own
// current billing period.
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { anchorDayOf, billingPeriod, periodUsage } from './period';
import { LADDER_SELECT } from './quota-apply';
import { quotaView, type QuotaStateView } from './quota-view';

const MiB = 1024 * 1024;

export interface BillingUsage {
  id: string; ctid: number; externalId: string | null;
  period: { start: string; end: string };
  disk: { usedBytes: number | null; limitBytes: number | null };
  traffic: { inBytes: number; outBytes: number; totalBytes: number };
  cpuSeconds: number;
  memory: { avgBytes: number; peakBytes: number };
  quota: QuotaStateView | null;
}

const select = { ...LADDER_SELECT, limits: true } as const;

type VeRow = Prisma.VeGetPayload<{ select: typeof select }>;

/** The period to report for `ve`: the caller's, else the VE's billing period containing now. */
function periodFor(ve: VeRow, from?: Date, to?: Date) {
  if (from && to) return { start: from, end: to };
  return billingPeriod(anchorDayOf(ve), from ?? new Date());
}

async function usageOf(prisma: PrismaClient, ves: VeRow[], from?: Date, to?: Date): Promise<BillingUsage[]> {
  // VEs that share a period (the usual case: one anchor day, or the caller's period) are read in one query.
  const groups = new Map<string, { start: Date; end: Date; ves: VeRow[] }>();
  for (const v of ves) {
    const p = periodFor(v, from, to);
    const key = `${p.start.getTime()}-${p.end.getTime()}`;
    const g = groups.get(key) ?? { ...p, ves: [] };
    g.ves.push(v);
    groups.set(key, g);
  }
  const out = new Map<string, BillingUsage>();
  await Promise.all([...groups.values()].map(async (g) => {
    const u = await periodUsage(prisma, g.ves.map((v) => v.id), g.start, g.end);
    const now = new Date();
    for (const v of g.ves) {
      const x = u.get(v.id)!;
      // The ladder runs over the VE's current billing period only.
      const current = billingPeriod(anchorDayOf(v), now);
      const sameAsCurrent = current.start.getTime() === g.start.getTime() && current.end.getTime() === g.end.getTime();
      const disk = (v.limits as { diskspace?: unknown } | null)?.diskspace;
      out.set(v.id, {
        id: v.id, ctid: v.ctid, externalId: v.externalId,
        period: { start: g.start.toISOString(), end: g.end.toISOString() },
        disk: { usedBytes: x.diskUsed, limitBytes: typeof disk === 'number' ? disk * MiB : null },
        traffic: { inBytes: x.netIn, outBytes: x.netOut, totalBytes: x.netIn + x.netOut },
        cpuSeconds: x.cpuSeconds,
        memory: { avgBytes: x.memAvg, peakBytes: x.memPeak },
        quota: sameAsCurrent ? quotaView({ policy: v.plan?.usagePolicy ?? null, state: v.usage }, x.netIn + x.netOut, g) : null,
      });
    }
  }));
  return ves.map((v) => out.get(v.id)!);
}

function checkPeriod(from?: Date, to?: Date) {
  if ((from === undefined) !== (to === undefined) && to !== undefined) throw new AppError('BAD_INPUT', 'Give "from" with "to" (or only "from": the billing period containing it)', { field: 'from' });
  if (from && to && from >= to) throw new AppError('BAD_INPUT', '"from" must be before "to"', { field: 'to' });
  if (from && to && to.getTime() - from.getTime() > 400 * 86_400_000) throw new AppError('BAD_INPUT', 'A period may span at most 400 days (hourly usage is kept that long)', { field: 'to' });
}

/** Usage of one VE for [from, to), or for its billing period containing `from` (default now). */
export async function veUsage(prisma: PrismaClient, id: string, from?: Date, to?: Date): Promise<BillingUsage> {
  checkPeriod(from, to);
  const ve = await prisma.ve.findUnique({ where: { id }, select });
  if (!ve) throw new AppError('NOT_FOUND', 'VE not found');
  return (await usageOf(prisma, [ve], from, to))[0];
}

/** Usage of every VE, `limit` at a time in id order; `cursor` is the last id of the previous page. */
export async function allUsage(prisma: PrismaClient, o: { from?: Date; to?: Date; limit: number; cursor?: string }): Promise<{ items: BillingUsage[]; nextCursor: string | null }> {
  checkPeriod(o.from, o.to);
  const ves = await prisma.ve.findMany({ where: o.cursor ? { id: { gt: o.cursor } } : {}, orderBy: { id: 'asc' }, take: o.limit + 1, select });
  const page = ves.slice(0, o.limit);
  return { items: await usageOf(prisma, page, o.from, o.to), nextCursor: ves.length > o.limit ? page[page.length - 1].id : null };
}
