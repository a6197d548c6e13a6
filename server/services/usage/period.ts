// Billing periods and the usage of VEs over one: traffic, CPU time, memory average and peak, disk.
import type { PrismaClient } from '@/server/db/client';

/** [start, end) of the billing period containing `at`, starting on `anchorDay` (1-28, clamped to short months), UTC midnight. */
export function billingPeriod(anchorDay: number, at = new Date()): { start: Date; end: Date } {
  const day = Math.min(Math.max(1, Math.trunc(anchorDay)), 28);
  let y = at.getUTCFullYear();
  let m = at.getUTCMonth();
  if (at.getUTCDate() < day) m -= 1;
  if (m < 0) { m += 12; y -= 1; }
  return { start: new Date(Date.UTC(y, m, day)), end: new Date(Date.UTC(y, m + 1, day)) };
}

/** The anchor day of a VE: billing's override, else its plan's, else the day it was created. */
export function anchorDayOf(ve: { createdAt: Date; usage?: { anchorDay: number | null } | null; plan?: { usagePolicy?: { anchorDay: number | null } | null } | null }): number {
  return ve.usage?.anchorDay ?? ve.plan?.usagePolicy?.anchorDay ?? Math.min(ve.createdAt.getUTCDate(), 28);
}

export interface PeriodUsage {
  veId: string;
  netIn: number;
  netOut: number;
  cpuSeconds: number;
  memAvg: number;
  memPeak: number;
  /** Highest disk use seen in the period (bytes); null when never sampled. */
  diskUsed: number | null;
}

type Row = { ve_id: string; nin: number; nout: number; cpu: number; mem_avg: number; mem_peak: number; disk: number | null };

const DAY = 86_400_000;

/**
 * Usage of `veIds` over [from, to): whole UTC days from the daily rollups, the hours at either end
 * from the hourly ones (a bound inside an hour counts that whole hour). One grouped scan.
 */
export async function periodUsage(prisma: PrismaClient, veIds: string[], from: Date, to: Date): Promise<Map<string, PeriodUsage>> {
  if (!veIds.length) return new Map();
  let dayFrom = new Date(Math.ceil(from.getTime() / DAY) * DAY);
  let dayTo = new Date(Math.floor(to.getTime() / DAY) * DAY);
  if (dayFrom >= dayTo) dayFrom = dayTo = to; // no whole day inside: hours only
  const rows = await prisma.$queryRawUnsafe<Row[]>(`
    WITH b AS (
      SELECT * FROM usage.d1 WHERE ve_id = ANY($1::text[]) AND bucket >= $4 AND bucket < $5
      UNION ALL
      SELECT * FROM usage.h1 WHERE ve_id = ANY($1::text[]) AND ((bucket >= date_trunc('hour', $2::timestamptz) AND bucket < $4) OR (bucket >= $5 AND bucket < $3)))
    SELECT ve_id, sum(net_in)::float8 AS nin, sum(net_out)::float8 AS nout, sum(cpu_ns)::float8 AS cpu,
      (sum(mem_sum) / greatest(sum(samples), 1))::float8 AS mem_avg, max(mem_max)::float8 AS mem_peak,
      max(disk_used)::float8 AS disk
    FROM b GROUP BY ve_id`, veIds, from, to, dayFrom, dayTo);
  const out = new Map<string, PeriodUsage>();
  for (const id of veIds) out.set(id, { veId: id, netIn: 0, netOut: 0, cpuSeconds: 0, memAvg: 0, memPeak: 0, diskUsed: null });
  for (const r of rows) {
    out.set(r.ve_id, { veId: r.ve_id, netIn: r.nin, netOut: r.nout, cpuSeconds: Math.round(r.cpu / 1e6) / 1e3, memAvg: Math.round(r.mem_avg), memPeak: r.mem_peak, diskUsed: r.disk });
  }
  return out;
}
