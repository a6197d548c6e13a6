// Limit events from sample deltas: which counters that mean "a limit was hit" grew, per VE and
// 5 minutes (a VE held at its limit for an hour is 12 rows, not 360).
import type { UsageBatch } from '@/agents/protocol/methods/usage';

export const EVENT_KINDS = ['mem_limit', 'swap_limit', 'oom_kill', 'cpu_throttled', 'pids_limit'] as const;
export type UsageEventKind = (typeof EVENT_KINDS)[number] | 'traffic_warn' | 'traffic_throttled' | 'traffic_suspended' | 'traffic_lifted';

export interface EventRow { veId: string; kind: UsageEventKind; bucket: Date; firstTs: Date; lastTs: Date; count: number; amount: number; tasks: string[] }

const FIVE_MIN = 300_000;

export function eventsOf(batches: UsageBatch[], idOf: Map<number, string>): EventRow[] {
  const out = new Map<string, EventRow>();
  const add = (veId: string, kind: UsageEventKind, ts: number, count: number, amount = 0, tasks: string[] = []) => {
    if (!count) return;
    const bucket = new Date(Math.floor(ts / FIVE_MIN) * FIVE_MIN);
    const key = `${veId}|${kind}|${bucket.getTime()}`;
    const e = out.get(key);
    if (!e) { out.set(key, { veId, kind, bucket, firstTs: new Date(ts), lastTs: new Date(ts), count, amount, tasks: [...tasks] }); return; }
    e.count += count;
    e.amount += amount;
    e.lastTs = new Date(ts);
    e.tasks.push(...tasks);
  };
  for (const b of batches) {
    for (const s of b.samples) {
      const ve = idOf.get(s.ctid);
      if (!ve) continue;
      const d = s.delta;
      add(ve, 'mem_limit', b.ts, d.memFail);
      add(ve, 'swap_limit', b.ts, d.swapFail);
      add(ve, 'oom_kill', b.ts, d.oomKill, 0, s.oomTasks ?? []);
      add(ve, 'cpu_throttled', b.ts, d.throttled, d.throttledNs);
      add(ve, 'pids_limit', b.ts, d.pidsMax);
    }
  }
  return [...out.values()];
}
