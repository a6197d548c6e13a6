// The per-VE Prometheus scrape's usage figures: gauges from each VE's latest sample (last minute),
// traffic totals since the start of the UTC month (Prometheus counters may reset: they reset then).
import type { PrismaClient } from '@/server/db/client';
import type { VeUsage } from '@/server/services/metrics/ve-series';

type Row = { ve_id: string; cpu: number | null; mem: number | null; disk: number | null; rx: number | null; tx: number | null };

export async function usageForPrometheus(prisma: PrismaClient): Promise<Map<string, VeUsage>> {
  const now = new Date();
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const rows = await prisma.$queryRaw<Row[]>`
    WITH last AS (
      SELECT DISTINCT ON (ve_id) ve_id, cpu_ns::float8 / (interval_ms * 1e4) AS cpu, mem::float8 AS mem, disk_used::float8 AS disk
      FROM usage.raw WHERE ts > ${new Date(now.getTime() - 60_000)} ORDER BY ve_id, ts DESC),
    tot AS (SELECT ve_id, sum(net_in)::float8 AS rx, sum(net_out)::float8 AS tx FROM usage.d1 WHERE bucket >= ${month} GROUP BY ve_id)
    SELECT coalesce(last.ve_id, tot.ve_id) AS ve_id, cpu, mem, disk, rx, tx FROM last FULL JOIN tot ON tot.ve_id = last.ve_id`;
  const out = new Map<string, VeUsage>();
  for (const r of rows) {
    out.set(r.ve_id, {
      ...(r.cpu != null ? { cpuPercent: Math.round(r.cpu * 100) / 100 } : {}),
      ...(r.mem != null ? { memoryBytes: r.mem } : {}),
      ...(r.disk != null ? { diskBytes: r.disk } : {}),
      ...(r.rx != null ? { netRxBytesTotal: r.rx, netTxBytesTotal: r.tx ?? 0 } : {}),
    });
  }
  return out;
}
