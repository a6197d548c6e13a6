// The "why was I throttled or killed" timeline: limit events in plain words.
import type { PrismaClient } from '@/server/db/client';
import type { UsageEventKind } from './events-of';

export interface TimelineEntry { kind: UsageEventKind; at: Date; until: Date; count: number; text: string }

type Row = { kind: UsageEventKind; first_ts: Date; last_ts: Date; count: bigint; amount: bigint; tasks: string[] };

const times = (n: number) => (n === 1 ? 'once' : `${n} times`);

/** One sentence an admin or the VE's owner can act on. */
export function describeEvent(kind: UsageEventKind, count: number, amount: number, tasks: string[]): string {
  switch (kind) {
    case 'mem_limit': return `Memory reached the RAM limit ${times(count)}; the kernel reclaimed cache or pushed memory to swap.`;
    case 'swap_limit': return `Memory plus swap reached the limit ${times(count)}; allocations failed or processes were killed.`;
    case 'oom_kill': {
      const names = [...new Set(tasks)];
      return `Out of memory: the kernel killed ${count === 1 ? 'a process' : `${count} processes`}${names.length ? ` (${names.join(', ')})` : ''}. Use less memory or move to a bigger plan.`;
    }
    case 'cpu_throttled': return `CPU use was held at the CPU limit (throttled for ${(amount / 1e9).toFixed(1)} s in ${count} periods).`;
    case 'pids_limit': return `The process limit refused ${count === 1 ? 'a new process' : `${count} new processes`} (fork failed).`;
    case 'traffic_warn': return `Traffic passed ${amount} % of the period's quota.`;
    case 'traffic_throttled': return `Traffic reached the period's quota: bandwidth is capped at ${Math.round(amount / 1000)} kB/s until the next period.`;
    case 'traffic_suspended': return `Traffic reached the hard limit: the network is suspended until the next period or an admin's reset.`;
    case 'traffic_lifted': return `Traffic limits were lifted (${amount ? 'new billing period' : 'reset by an admin'}).`;
  }
}

/** Events of one VE, newest first. */
export async function usageTimeline(prisma: PrismaClient, veId: string, from: Date, to: Date, limit = 200): Promise<TimelineEntry[]> {
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT kind, first_ts, last_ts, count, amount, tasks FROM usage.event
    WHERE ve_id = ${veId} AND bucket >= ${new Date(from.getTime() - 300_000)} AND bucket < ${to}
    ORDER BY last_ts DESC LIMIT ${limit}`;
  return rows.map((r) => ({ kind: r.kind, at: r.first_ts, until: r.last_ts, count: Number(r.count), text: describeEvent(r.kind, Number(r.count), Number(r.amount), r.tasks) }));
}

/** Records a traffic-ladder step on the timeline (the quota job's own events). */
export async function recordUsageEvent(prisma: PrismaClient, veId: string, kind: UsageEventKind, amount: number, at = new Date()): Promise<void> {
  const bucket = new Date(Math.floor(at.getTime() / 300_000) * 300_000);
  await prisma.$executeRaw`
    INSERT INTO usage.event (ve_id, kind, bucket, first_ts, last_ts, count, amount) VALUES (${veId}, ${kind}, ${bucket}, ${at}, ${at}, 1, ${amount})
    ON CONFLICT (ve_id, bucket, kind) DO UPDATE SET last_ts = excluded.last_ts, count = usage.event.count + 1`;
}
