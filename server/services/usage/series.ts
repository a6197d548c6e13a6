// Graph series for one VE or a node: the table is chosen by the range so a graph is a few hundred
// to two thousand points whatever the range (raw for 1 h, 5-minute rollups to 7 d, hourly beyond).
import type { PrismaClient } from '@/server/db/client';

export const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type UsageRange = keyof typeof RANGES;

/** Column-wise series (uPlot's data layout): one timestamp (s) per point, rates per second. */
export interface UsageSeries {
  range: UsageRange;
  resolution: '10s' | '5m' | '1h';
  ts: number[];
  /** Percent of one CPU. */
  cpuPct: number[];
  memAvg: number[];
  memMax: number[];
  swapMax: number[];
  diskUsed: (number | null)[];
  netIn: number[];
  netOut: number[];
  rd: number[];
  wr: number[];
}

type Row = { t: number; sec: number; cpu: number; mem_avg: number; mem_max: number; swap_max: number; disk: number | null; nin: number; nout: number; rd: number; wr: number };

const ROLLUP_SELECT = (table: string, sec: number) => `
  SELECT extract(epoch FROM bucket)::float8 AS t, ${sec}::float8 AS sec, sum(cpu_ns)::float8 AS cpu,
    (sum(mem_sum) / greatest(max(samples), 1))::float8 AS mem_avg, sum(mem_max)::float8 AS mem_max, sum(swap_max)::float8 AS swap_max,
    sum(disk_used)::float8 AS disk, sum(net_in)::float8 AS nin, sum(net_out)::float8 AS nout, sum(rd_bytes)::float8 AS rd, sum(wr_bytes)::float8 AS wr
  FROM usage.${table} WHERE ve_id = ANY($1::text[]) AND bucket >= $2 AND bucket < $3 GROUP BY bucket ORDER BY bucket`;

const RAW_SELECT = `
  SELECT extract(epoch FROM ts)::float8 AS t, (max(interval_ms) / 1000.0)::float8 AS sec, sum(cpu_ns)::float8 AS cpu, sum(mem)::float8 AS mem_avg,
    sum(mem)::float8 AS mem_max, sum(swap)::float8 AS swap_max, sum(disk_used)::float8 AS disk, sum(net_in)::float8 AS nin, sum(net_out)::float8 AS nout,
    sum(rd_bytes)::float8 AS rd, sum(wr_bytes)::float8 AS wr
  FROM usage.raw WHERE ve_id = ANY($1::text[]) AND ts >= $2 AND ts < $3 GROUP BY ts ORDER BY ts`;

/**
 * Series of the sum of `veIds` (one VE, or every VE of a node) over the last `range`.
 * mem average of a node sums the VEs' per-bucket averages (the per-VE sample count is the same).
 */
export async function usageSeries(prisma: PrismaClient, veIds: string[], range: UsageRange, now = new Date()): Promise<UsageSeries> {
  const from = new Date(now.getTime() - RANGES[range]);
  const resolution = range === '1h' ? '10s' : range === '30d' ? '1h' : '5m';
  const sql = resolution === '10s' ? RAW_SELECT : ROLLUP_SELECT(resolution === '5m' ? 'm5' : 'h1', resolution === '5m' ? 300 : 3600);
  const rows = await prisma.$queryRawUnsafe<Row[]>(sql, veIds, from, now);
  const s: UsageSeries = { range, resolution, ts: [], cpuPct: [], memAvg: [], memMax: [], swapMax: [], diskUsed: [], netIn: [], netOut: [], rd: [], wr: [] };
  for (const r of rows) {
    const sec = r.sec || 10;
    s.ts.push(r.t);
    s.cpuPct.push(Math.round((r.cpu / (sec * 1e9)) * 1e4) / 100);
    s.memAvg.push(Math.round(r.mem_avg));
    s.memMax.push(r.mem_max);
    s.swapMax.push(r.swap_max);
    s.diskUsed.push(r.disk);
    s.netIn.push(Math.round(r.nin / sec));
    s.netOut.push(Math.round(r.nout / sec));
    s.rd.push(Math.round(r.rd / sec));
    s.wr.push(Math.round(r.wr / sec));
  }
  return s;
}
