// Stores usage batches pulled from a node: raw samples, the 5-minute and hourly rollups and the
// limit events, in one transaction with the node's spool cursor, so a batch delivered twice
// (an acknowledgement lost with the panel) is stored once.
import type { UsageBatch } from '@/agents/protocol/methods/usage';
import type { PrismaClient } from '@/server/db/client';
import { ensurePartitions, retained } from './partitions';
import { eventsOf, type EventRow } from './events-of';

const COLS = ['ve_id', 'ts', 'interval_ms', 'running', 'cpu_ns', 'mem', 'swap', 'pids', 'disk_used', 'disk_total', 'inodes_used',
  'net_in', 'net_out', 'pkt_in', 'pkt_out', 'rd_bytes', 'wr_bytes', 'rd_ios', 'wr_ios'] as const;
const TYPES = ['text', 'timestamptz', 'int', 'bool', 'int8', 'int8', 'int8', 'int', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8', 'int8'];
const SUMS = ['cpu_ns', 'net_in', 'net_out', 'pkt_in', 'pkt_out', 'rd_bytes', 'wr_bytes', 'rd_ios', 'wr_ios'];

const unnest = COLS.map((_, i) => `$${i + 2}::${TYPES[i]}[]`).join(', ');
const rollup = (table: 'm5' | 'h1' | 'd1', bucketExpr: string, keepSql: string) => `
  ${table} AS (
    INSERT INTO usage.${table} AS t (ve_id, bucket, samples, run_ms, mem_sum, mem_max, swap_max, pids_max, disk_used, disk_total, inodes_used, ${SUMS.join(', ')})
    SELECT ve_id, ${bucketExpr}, count(*), sum(CASE WHEN running THEN interval_ms ELSE 0 END), sum(mem), max(mem), max(swap), max(pids),
           max(disk_used), max(disk_total), max(inodes_used), ${SUMS.map((c) => `sum(${c})`).join(', ')}
    FROM s WHERE ts > now() - interval '${keepSql}' GROUP BY 1, 2
    ON CONFLICT (ve_id, bucket) DO UPDATE SET samples = t.samples + excluded.samples, run_ms = t.run_ms + excluded.run_ms,
      mem_sum = t.mem_sum + excluded.mem_sum, mem_max = greatest(t.mem_max, excluded.mem_max), swap_max = greatest(t.swap_max, excluded.swap_max),
      pids_max = greatest(t.pids_max, excluded.pids_max), disk_used = coalesce(excluded.disk_used, t.disk_used),
      disk_total = coalesce(excluded.disk_total, t.disk_total), inodes_used = coalesce(excluded.inodes_used, t.inodes_used),
      ${SUMS.map((c) => `${c} = t.${c} + excluded.${c}`).join(', ')}
    RETURNING 1)`;

const INSERT = `
WITH s AS (SELECT * FROM unnest(${unnest}) AS s(${COLS.join(', ')})),
  raw AS (INSERT INTO usage.raw (node_id, ${COLS.join(', ')}) SELECT $1, ${COLS.join(', ')} FROM s WHERE ts > now() - interval '47 hours'
          ON CONFLICT DO NOTHING RETURNING 1),
  ${rollup('m5', "date_bin('5 minutes', ts, 'epoch')", '34 days')},
  ${rollup('h1', "date_trunc('hour', ts)", '399 days')},
  ${rollup('d1', "date_bin('1 day', ts, 'epoch')", '399 days')}
SELECT (SELECT count(*) FROM raw) AS raw, (SELECT count(*) FROM m5) AS m5, (SELECT count(*) FROM h1) AS h1, (SELECT count(*) FROM d1) AS d1`;

// Task names travel as one JSON array (text) per event row: Postgres has no ragged arrays.
const EVENTS = `
INSERT INTO usage.event AS e (ve_id, kind, bucket, first_ts, last_ts, count, amount, tasks)
SELECT ve_id, kind, bucket, first_ts, last_ts, count, amount, ARRAY(SELECT jsonb_array_elements_text(tasks_json::jsonb))
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::int8[], $7::int8[], $8::text[])
  AS x(ve_id, kind, bucket, first_ts, last_ts, count, amount, tasks_json)
ON CONFLICT (ve_id, bucket, kind) DO UPDATE SET first_ts = least(e.first_ts, excluded.first_ts), last_ts = greatest(e.last_ts, excluded.last_ts),
  count = e.count + excluded.count, amount = e.amount + excluded.amount, tasks = (e.tasks || excluded.tasks)[1:50]`;

export interface IngestResult { stored: number; skipped: number; samples: number; events: EventRow[]; ackSeq?: number }

/** Stores a node's batches (oldest first). Returns the seq to acknowledge and the events it recorded. */
export async function ingestBatches(prisma: PrismaClient, nodeId: string, spool: string, batches: UsageBatch[]): Promise<IngestResult> {
  if (!batches.length) return { stored: 0, skipped: 0, samples: 0, events: [] };
  const ctids = [...new Set(batches.flatMap((b) => b.samples.map((s) => s.ctid)))];
  const ves = await prisma.ve.findMany({ where: { ctid: { in: ctids } }, select: { id: true, ctid: true } });
  const idOf = new Map(ves.map((v) => [v.ctid, v.id]));
  const now = new Date();
  const times = batches.map((b) => new Date(b.ts));
  await ensurePartitions(prisma, 'raw', times.filter((t) => retained('raw', t, now)));
  await ensurePartitions(prisma, 'm5', times.filter((t) => retained('m5', t, now)));
  await ensurePartitions(prisma, 'h1', times.filter((t) => retained('h1', t, now)));
  await ensurePartitions(prisma, 'd1', times.filter((t) => retained('d1', t, now)));
  const last = batches[batches.length - 1].seq;
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO usage.cursor (node_id, spool, seq) VALUES (${nodeId}, ${spool}, 0) ON CONFLICT DO NOTHING`;
    const [cur] = await tx.$queryRaw<{ seq: bigint }[]>`SELECT seq FROM usage.cursor WHERE node_id = ${nodeId} AND spool = ${spool} FOR UPDATE`;
    const fresh = batches.filter((b) => b.seq > Number(cur.seq));
    const cols: unknown[][] = COLS.map(() => []);
    for (const b of fresh) {
      const ts = new Date(b.ts).toISOString();
      for (const s of b.samples) {
        const ve = idOf.get(s.ctid);
        if (!ve) continue; // a VE the panel does not know (drift): nothing to bill it to
        const d = s.delta;
        const row = [ve, ts, b.intervalMs, s.running, d.cpuNs, s.memBytes, s.swapBytes, s.pids, s.diskUsed ?? null, s.diskTotal ?? null, s.inodesUsed ?? null,
          d.netIn, d.netOut, d.pktIn, d.pktOut, d.rdBytes, d.wrBytes, d.rdIos, d.wrIos];
        row.forEach((v, i) => cols[i].push(v));
      }
    }
    const events = eventsOf(fresh, idOf);
    if (cols[0].length) await tx.$queryRawUnsafe(INSERT, nodeId, ...cols);
    if (events.length) {
      const col = <K extends keyof EventRow>(k: K) => events.map((e) => e[k]);
      await tx.$executeRawUnsafe(EVENTS, col('veId'), col('kind'), col('bucket'), col('firstTs'), col('lastTs'), col('count'), col('amount'),
        events.map((e) => JSON.stringify(e.tasks)));
    }
    await tx.$executeRaw`UPDATE usage.cursor SET seq = greatest(seq, ${last}), at = now() WHERE node_id = ${nodeId} AND spool = ${spool}`;
    return { stored: fresh.length, skipped: batches.length - fresh.length, samples: cols[0].length, events, ackSeq: last };
  }, { timeout: 60_000 });
}
