// Usage storage on a real Postgres: batches land in raw and both rollups once (a batch delivered
// again is skipped), limit events are recorded in plain words, graph series and period usage are
// read back, and the retention job drops partitions past retention and makes the next ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageBatch, UsageSample } from '@/agents/protocol/methods/usage';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { ingestBatches } from './ingest';
import { ensurePartitions, runRetention } from './partitions';
import { usageSeries } from './series';
import { billingPeriod, periodUsage } from './period';
import { usageTimeline } from './timeline';
import { usageForPrometheus } from './prometheus';

let db: TestDatabase;
let nodeId: string;
let veA: string, veB: string;
const ctidA = 23_101, ctidB = 23_102;
const MiB = 1024 * 1024;

const sample = (ctid: number, o: Omit<Partial<UsageSample>, 'delta'> & { delta?: Partial<UsageSample['delta']> } = {}): UsageSample => ({
  ctid, running: true, epoch: 'e1', memBytes: 64 * MiB, swapBytes: 0, pids: 5, diskUsed: 10 * MiB, diskTotal: 100 * MiB, inodesUsed: 50, inodesTotal: 1000, ...o,
  delta: { cpuNs: 1e9, netIn: 1000, netOut: 2000, pktIn: 10, pktOut: 20, rdBytes: 0, wrBytes: 4096, rdIos: 0, wrIos: 1, memFail: 0, swapFail: 0, oomKill: 0, throttled: 0, throttledNs: 0, pidsMax: 0, ...o.delta },
});
const batch = (seq: number, ts: number, samples: UsageSample[]): UsageBatch => ({ seq, ts, intervalMs: 10_000, samples });
const count = async (table: string) => Number((await db.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM usage.${table}`))[0].n);

beforeAll(async () => {
  db = await createTestDatabase();
  const node = await seedNode(db.prisma, { name: uniq('use-node') });
  nodeId = node.id;
  const templateId = (await seedTemplate(db.prisma)).id;
  const mk = (ctid: number) => db.prisma.ve.create({ data: { ctid, hostname: `use${ctid}.test`, nodeId, templateId, state: 'running', limits: { ram: 128, diskspace: 1024 } } });
  veA = (await mk(ctidA)).id;
  veB = (await mk(ctidB)).id;
}, 120_000);
afterAll(async () => db?.drop());

describe('usage storage', () => {
  it('stores raw samples and rollups once, even when a batch is delivered twice', async () => {
    const t0 = Math.floor(Date.now() / 300_000) * 300_000 - 600_000; // start of a 5-minute bucket 10 min ago
    const batches = Array.from({ length: 6 }, (_, i) => batch(i + 1, t0 + i * 10_000, [sample(ctidA), sample(ctidB, { delta: { netIn: 500 } }), sample(99_999)]));
    const r1 = await ingestBatches(db.prisma, nodeId, 'spool1', batches.slice(0, 4));
    expect(r1).toMatchObject({ stored: 4, skipped: 0, samples: 8, ackSeq: 4 });
    // The ack was lost: the node sends 3..6 again; 3 and 4 are skipped.
    const r2 = await ingestBatches(db.prisma, nodeId, 'spool1', batches.slice(2));
    expect(r2).toMatchObject({ stored: 2, skipped: 2, samples: 4, ackSeq: 6 });
    expect(await count('raw')).toBe(12);
    const [m5] = await db.prisma.$queryRaw<{ samples: number; net_in: bigint; net_out: bigint; cpu_ns: bigint; mem_max: bigint }[]>`
      SELECT samples, net_in, net_out, cpu_ns, mem_max FROM usage.m5 WHERE ve_id = ${veA}`;
    expect(m5).toMatchObject({ samples: 6, net_in: 6000n, net_out: 12000n, cpu_ns: 6_000_000_000n, mem_max: BigInt(64 * MiB) });
    const h1 = await db.prisma.$queryRaw<{ net_in: bigint }[]>`SELECT sum(net_in)::int8 AS net_in FROM usage.h1 WHERE ve_id = ${veB}`;
    expect(h1[0].net_in).toBe(3000n);
    // A new spool (the node's state was reset) starts its own cursor.
    const r3 = await ingestBatches(db.prisma, nodeId, 'spool2', [batch(1, t0 + 60_000, [sample(ctidA)])]);
    expect(r3.stored).toBe(1);
  }, 60_000);

  it('records limit hits as timeline events in plain words, with the OOM-killed process name', async () => {
    const ts = Date.now() - 30_000;
    await ingestBatches(db.prisma, nodeId, 'spool-ev', [
      batch(1, ts, [sample(ctidA, { delta: { oomKill: 1, memFail: 40 }, oomTasks: ['dd'] })]),
      batch(2, ts + 10_000, [sample(ctidA, { delta: { throttled: 12, throttledNs: 1.5e9, pidsMax: 3 } })]),
    ]);
    const tl = await usageTimeline(db.prisma, veA, new Date(ts - 3_600_000), new Date(ts + 3_600_000));
    const text = tl.map((e) => e.text).join('\n');
    expect(text).toContain('Out of memory: the kernel killed a process (dd).');
    expect(text).toContain('Memory reached the RAM limit 40 times');
    expect(text).toContain('CPU use was held at the CPU limit (throttled for 1.5 s in 12 periods).');
    expect(text).toContain('The process limit refused 3 new processes');
  }, 60_000);

  it('serves graph series from the table that fits the range, and usage for a billing period', async () => {
    const hour = await usageSeries(db.prisma, [veA], '1h');
    expect(hour.resolution).toBe('10s');
    expect(hour.ts.length).toBeGreaterThanOrEqual(7);
    expect(hour.cpuPct[0]).toBe(10); // 1 s of CPU in 10 s
    expect(hour.netIn[0]).toBe(100);
    const day = await usageSeries(db.prisma, [veA, veB], '24h');
    expect(day.resolution).toBe('5m');
    expect(day.netOut.reduce((a, b) => a + b, 0) * 300).toBeGreaterThanOrEqual(2000 * 6 * 2);
    expect((await usageSeries(db.prisma, [veA], '30d')).resolution).toBe('1h');
    const u = await periodUsage(db.prisma, [veA, veB], new Date(Date.now() - 86_400_000), new Date(Date.now() + 3_600_000));
    expect(u.get(veB)).toMatchObject({ netIn: 3000, netOut: 12000, cpuSeconds: 6, memPeak: 64 * MiB, diskUsed: 10 * MiB });
    // A period of whole days reads the daily rollups (and the hours at its ends): the same totals.
    const days = await periodUsage(db.prisma, [veB], new Date(Date.now() - 3 * 86_400_000 - 1_800_000), new Date(Date.now() + 2 * 86_400_000));
    expect(days.get(veB)).toMatchObject({ netIn: 3000, netOut: 12000, cpuSeconds: 6, memPeak: 64 * MiB, diskUsed: 10 * MiB });
    expect(billingPeriod(31, new Date('2026-03-05T10:00:00Z'))).toEqual({ start: new Date('2026-02-28T00:00:00Z'), end: new Date('2026-03-28T00:00:00Z') });
    expect(billingPeriod(15, new Date('2026-01-20T00:00:00Z'))).toEqual({ start: new Date('2026-01-15T00:00:00Z'), end: new Date('2026-02-15T00:00:00Z') });
  }, 60_000);

  it('drops partitions past retention and creates the coming ones', async () => {
    const now = new Date();
    const old = new Date(now.getTime() - 5 * 86_400_000);
    await ensurePartitions(db.prisma, 'raw', [old]);
    await ensurePartitions(db.prisma, 'm5', [old]);
    const dropped = await runRetention(db.prisma, now);
    const tag = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
    expect(dropped).toContain(`raw_${tag(old)}`);
    expect(dropped).not.toContain(`m5_${tag(old)}`); // 5-minute rollups keep 35 days
    const parts = (await db.prisma.$queryRaw<{ n: string }[]>`SELECT relname AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'usage'`).map((r) => r.n);
    expect(parts).toContain(`raw_${tag(new Date(now.getTime() + 3 * 86_400_000))}`);
    expect(parts).toContain(`raw_${tag(now)}`);
    expect(await count('raw')).toBeGreaterThan(0); // today's samples stay
  }, 60_000);

  it('gives the Prometheus scrape each VE\'s latest gauges and this month\'s traffic totals', async () => {
    await ingestBatches(db.prisma, nodeId, 'spool-prom', [batch(1, Date.now() - 5_000, [sample(ctidB, { memBytes: 77 * MiB, delta: { cpuNs: 5e9 } })])]);
    const m = await usageForPrometheus(db.prisma);
    expect(m.get(veB)).toMatchObject({ cpuPercent: 50, memoryBytes: 77 * MiB, diskBytes: 10 * MiB });
    expect(m.get(veB)!.netRxBytesTotal).toBeGreaterThanOrEqual(3000 + 1000);
  }, 60_000);
});
