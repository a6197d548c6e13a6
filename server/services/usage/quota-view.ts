// What a VE's quota ladder says now, for the admin VE page and billing's usage answer: the quota,
// what was used, which rungs ran this period, and what the VE is throttled to and why.
import { z } from 'zod';
import { decideLadder, usedPct, type LadderPolicy } from './ladder';

export const QuotaState = z.object({
  quotaBytes: z.number().describe('traffic (in + out) allowed per period, bytes'),
  usedBytes: z.number().describe('traffic counted against the quota this period (after an admin reset: since the reset)'),
  pct: z.number().describe('share of the quota used, percent'),
  warnPct: z.number().int(),
  suspendPct: z.number().int().nullable(),
  warnedAt: z.string().nullable(),
  throttle: z.object({
    bytesPerSec: z.number().int().describe('the quota throttle, bytes/s each way; the VE runs at the lower of this and its plan bandwidth'),
    since: z.string(),
    reason: z.string(),
  }).nullable().describe('null: not throttled by the quota'),
  networkSuspended: z.object({ since: z.string(), reason: z.string() }).nullable().describe('null: the quota has not cut the network'),
  liftsAt: z.string().nullable().describe('when the next period starts and everything lifts; null when nothing is in force'),
}).describe('the traffic quota ladder; null when the VE\'s plan has no quota and nothing is in force');

export type QuotaStateView = z.infer<typeof QuotaState>;

export interface QuotaRow {
  policy: (Omit<LadderPolicy, 'trafficQuota'> & { trafficQuota: number | bigint }) | null;
  state: { periodStart: Date | null; warnedAt: Date | null; throttledAt: Date | null; suspendedAt: Date | null; throttleRate: number | null; trafficOffset: number | bigint } | null;
}

/** Pure: the ladder's report for a VE whose period is [start, end) and who moved `traffic` bytes in it. */
export function quotaView(row: QuotaRow, traffic: number, period: { start: Date; end: Date }): QuotaStateView | null {
  const policy = row.policy ? { ...row.policy, trafficQuota: Number(row.policy.trafficQuota) } : null;
  const st = row.state;
  // Steps of an earlier period are not in force here any more: they lift at the next evaluation.
  const current = st && !decideLadder(policy, st, 0, period.start).newPeriod ? st : null;
  const quota = policy?.trafficQuota ?? 0;
  if (!quota && !current?.throttledAt && !current?.suspendedAt) return null;
  const used = Math.max(0, traffic - Number(current?.trafficOffset ?? 0));
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
  const inForce = !!(current?.throttledAt || current?.suspendedAt);
  return {
    quotaBytes: quota,
    usedBytes: used,
    pct: Math.round(usedPct(used, quota) * 10) / 10,
    warnPct: policy?.warnPct ?? 0,
    suspendPct: policy?.suspendPct ?? null,
    warnedAt: iso(current?.warnedAt),
    throttle: current?.throttledAt
      ? { bytesPerSec: current.throttleRate ?? 0, since: current.throttledAt.toISOString(), reason: 'traffic quota of the period reached' }
      : null,
    networkSuspended: current?.suspendedAt
      ? { since: current.suspendedAt.toISOString(), reason: `traffic passed ${policy?.suspendPct ?? 100} % of the period's quota` }
      : null,
    liftsAt: inForce ? period.end.toISOString() : null,
  };
}
