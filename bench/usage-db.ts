// Issue 11: usage storage figures on a throwaway embedded Postgres.
//  - database bytes per VE: the rolling windows (raw 48 h, 5-minute 35 days) and what each month
//    of history adds (hourly + daily rollups), measured on --sample VEs filled at 10 s sampling;
//  - GET /api/v1/usage for --ves VEs (default 10,000) over real HTTP, every page, with a 30-day
//    period of daily rollups (goal: under 2 s for all of them);
//  - the 30-day graph query of one VE (goal: under 300 ms).
// Usage: npx tsx bench/usage-db.ts [--ves 10000] [--sample 20] [--reps 5]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { runMigrations } from 'graphile-worker';
import { flag } from '@/agents/src/daemon/config';
import { createHttpServer } from '@/server/http/server';
import { createApiKey } from '@/server/services/auth/apiKeys';
import { ensurePartitions } from '@/server/services/usage/partitions';
import { usageSeries } from '@/server/services/usage/series';
import { periodUsage } from '@/server/services/usage/period';
import { benchDatabase, runBench } from './lib/db';

const nVes = Number(flag(process.argv, 'ves') ?? 10_000);
const nSample = Number(flag(process.argv, 'sample') ?? 20);
const reps = Number(flag(process.argv, 'reps') ?? 5);
const DAY = 86_400_000;
const stopAll: Array<() => Promise<unknown>> = [];
const pgDir = mkdtempSync('/tmp/use-bench-pg-');
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

// Rows of a rollup table for the VEs with ids in `ids` (a SQL array), every `step` over [from, to).
const fillRollup = (table: string, step: string) => `
  INSERT INTO usage.${table} (ve_id, bucket, samples, run_ms, cpu_ns, mem_sum, mem_max, swap_max, pids_max, disk_used, disk_total, inodes_used,
    net_in, net_out, pkt_in, pkt_out, rd_bytes, wr_bytes, rd_ios, wr_ios)
  SELECT v, b, 30, 300000, (random() * 3e11)::int8, (random() * 3e10)::numeric, (random() * 2e8)::int8, 0, (random() * 50)::int, 1.2e9::int8 + (random() * 1e8)::int8,
    1e10::int8, 40000, (random() * 1e8)::int8, (random() * 1e8)::int8, (random() * 1e5)::int8, (random() * 1e5)::int8, (random() * 1e7)::int8, (random() * 1e7)::int8, (random() * 1e3)::int8, (random() * 1e3)::int8
  FROM unnest($1::text[]) v, generate_series($2::timestamptz, $3::timestamptz - interval '${step}', interval '${step}') b`;

async function main() {
  const { prisma, url } = await benchDatabase(pgDir, stopAll);
  const node = await prisma.node.create({ data: { name: 'use-bench', address: '127.0.0.1', transport: 'local', state: 'online' } });
  const tpl = await prisma.template.create({ data: { name: 'busybox-bench', os: 'busybox', version: '1', arch: 'x86_64', sizeBytes: 1n, sha256: 'x' } });
  const createdAt = new Date(Date.UTC(2026, 9, 1)); // every VE anchored on the 1st
  for (let i = 0; i < nVes; i += 2000) {
    await prisma.ve.createMany({ data: Array.from({ length: Math.min(2000, nVes - i) }, (_, k) => ({ ctid: 100_000 + i + k, hostname: `b${i + k}.test`, nodeId: node.id, templateId: tpl.id, state: 'running' as const, createdAt, limits: { ram: 256, diskspace: 10240 } })) });
  }
  const ids = (await prisma.ve.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((v) => v.id);
  const now = new Date();
  const today = new Date(Math.floor(now.getTime() / DAY) * DAY);
  const from30 = new Date(today.getTime() - 30 * DAY);
  const days = Array.from({ length: 40 }, (_, i) => new Date(today.getTime() - (36 - i) * DAY));
  for (const t of ['raw', 'm5', 'h1', 'd1'] as const) await ensurePartitions(prisma, t, days);

  // 1. Bytes per VE, on a sample filled as 10 s sampling would.
  const sample = ids.slice(0, nSample);
  let t0 = Date.now();
  await prisma.$executeRawUnsafe(`
    INSERT INTO usage.raw (ve_id, ts, node_id, interval_ms, running, cpu_ns, mem, swap, pids, disk_used, disk_total, inodes_used, net_in, net_out, pkt_in, pkt_out, rd_bytes, wr_bytes, rd_ios, wr_ios)
    SELECT v, t, $4, 10000, true, (random() * 1e10)::int8, (random() * 2e8)::int8, 0, (random() * 50)::int, 1.2e9::int8, 1e10::int8, 40000,
      (random() * 1e6)::int8, (random() * 1e6)::int8, (random() * 1e3)::int8, (random() * 1e3)::int8, (random() * 1e5)::int8, (random() * 1e5)::int8, (random() * 10)::int8, (random() * 10)::int8
    FROM unnest($1::text[]) v, generate_series($2::timestamptz, $3::timestamptz - interval '10 seconds', interval '10 seconds') t`, sample, new Date(now.getTime() - 2 * DAY), now, node.id);
  await prisma.$executeRawUnsafe(fillRollup('m5', '5 minutes'), sample, new Date(today.getTime() - 35 * DAY), today);
  await prisma.$executeRawUnsafe(fillRollup('h1', '1 hour'), sample, from30, today);
  console.log(`filled ${nSample} sample VEs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await prisma.$executeRawUnsafe('VACUUM ANALYZE usage.raw, usage.m5, usage.h1');
  const sizeOf = async (table: string) => Number((await prisma.$queryRawUnsafe<{ b: bigint }[]>(`
    SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::int8 AS b FROM pg_inherits i WHERE i.inhparent = 'usage.${table}'::regclass`))[0].b);
  const perVe = { raw48h: (await sizeOf('raw')) / nSample, m5_35d: (await sizeOf('m5')) / nSample, h1_30d: (await sizeOf('h1')) / nSample };

  // 2. Daily rollups for every VE over the period (30 rows each) + the sample's hourly for the graph.
  t0 = Date.now();
  for (let i = 0; i < ids.length; i += 2000) await prisma.$executeRawUnsafe(fillRollup('d1', '1 day'), ids.slice(i, i + 2000), from30, today);
  await prisma.$executeRawUnsafe('VACUUM ANALYZE usage.d1');
  const d1PerVeMonth = (await sizeOf('d1')) / ids.length;
  console.log(`filled daily rollups of ${ids.length} VEs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // 3. GET /api/v1/usage over HTTP, all pages.
  await runMigrations({ connectionString: url }); // the HTTP server's task paths expect the queue schema
  const key = (await createApiKey(prisma, { name: 'bench', scopes: ['ves:read'] })).token;
  const { server } = createHttpServer({ prisma });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  stopAll.unshift(() => new Promise((r) => server.close(r)));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  const allPages = async (limit: number, period: boolean) => {
    const t = performance.now();
    let cursor: string | null = null;
    let n = 0;
    do {
      const q = new URLSearchParams({ limit: String(limit), ...(period ? { from: from30.toISOString(), to: today.toISOString() } : {}), ...(cursor ? { cursor } : {}) });
      const res = await fetch(`${base}/usage?${q}`, { headers: { authorization: `Bearer ${key}` } });
      if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
      const body = (await res.json()) as { items: unknown[]; nextCursor: string | null };
      n += body.items.length;
      cursor = body.nextCursor;
    } while (cursor);
    if (n !== ids.length) throw new Error(`saw ${n} VEs, expected ${ids.length}`);
    return performance.now() - t;
  };
  await allPages(5000, true); // warm-up
  const rest: Record<string, number> = {};
  for (const [label, limit, period] of [['limit5000_period', 5000, true], ['limit1000_period', 1000, true], ['limit5000_ownPeriod', 5000, false]] as const) {
    const times: number[] = [];
    for (let r = 0; r < reps; r++) times.push(await allPages(limit, period));
    rest[label] = Math.round(med(times));
  }

  // Where the time goes: the usage query alone for one page of 5,000 VEs.
  const q: number[] = [];
  for (let r = 0; r < reps; r++) { const t = performance.now(); await periodUsage(prisma, ids.slice(0, 5000), from30, today); q.push(performance.now() - t); }
  rest.periodUsageQuery5000Ms = Math.round(med(q));

  // 4. The 30-day graph of one VE (hourly rollups, 720 points).
  const g: number[] = [];
  for (let r = 0; r < 20; r++) { const t = performance.now(); const s = await usageSeries(prisma, [sample[0]], '30d'); g.push(performance.now() - t); if (s.ts.length < 690) throw new Error(`30-day graph has ${s.ts.length} points`); }

  const result = {
    ves: ids.length, sampleVes: nSample,
    bytesPerVe: { raw48h: Math.round(perVe.raw48h), m5_35d: Math.round(perVe.m5_35d), h1PerMonth: Math.round(perVe.h1_30d), d1PerMonth: Math.round(d1PerVeMonth) },
    bytesPerVeMonthOfHistory: Math.round(perVe.h1_30d + d1PerVeMonth),
    bytesPerVeSteadyState400d: Math.round(perVe.raw48h + perVe.m5_35d + (perVe.h1_30d + d1PerVeMonth) * (400 / 30)),
    usageEndpointAllPagesMsMedian: rest,
    graph30dMsMedian: +med(g).toFixed(1), graph30dMsMax: +Math.max(...g).toFixed(1),
    uptime: execFileSync('uptime', { encoding: 'utf8' }).trim(), date: new Date().toISOString(),
  };
  console.log(JSON.stringify(result, null, 2));
  mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(path.join(import.meta.dirname, 'results', `usage-db-${result.date.slice(0, 19).replace(/:/g, '-')}.json`), JSON.stringify({ command: process.argv.slice(1).join(' '), ...result }, null, 2));
}

runBench(main, stopAll, [pgDir]);
