// The quota ladder as a pure decision: given a plan's policy, what a VE's ladder already did this
// period and the traffic it used, which steps are due now. quota.ts reads and applies it.

export interface LadderPolicy {
  /** Bytes (in + out) per period; 0 = no quota. */
  trafficQuota: number;
  warnPct: number;
  /** Bytes/s at 100 %; 0 = do not throttle. */
  throttleRate: number;
  /** Suspend the network at this share; null = never. */
  suspendPct: number | null;
}

export interface LadderState {
  periodStart: Date | null;
  warnedAt: Date | null;
  throttledAt: Date | null;
  suspendedAt: Date | null;
}

export type LadderStep = 'warn' | 'throttle' | 'suspend';

export interface LadderDecision {
  /** A throttle or network cut of an earlier period (or of a quota since removed) is to be lifted first. */
  lift: boolean;
  /** True when the period changed: the ladder's record starts afresh (period start, steps cleared). */
  newPeriod: boolean;
  /** Steps due now, in ladder order; each is done once per period. */
  steps: LadderStep[];
  /** Share of the quota used, in percent (0 without a quota). */
  pct: number;
}

/** Percent of `quota` that `used` bytes are (0 without a quota). */
export function usedPct(used: number, quota: number): number {
  return quota > 0 ? (Math.max(0, used) / quota) * 100 : 0;
}

/**
 * Steps due for one VE. `used` is the period's traffic minus what an admin's reset forgave.
 * A new period (or a quota removed) lifts what is in force; then each rung whose threshold the
 * traffic reached and that has not run this period is due: warn at warnPct, throttle at 100 %
 * (when the plan has a rate), suspend at suspendPct (when the plan has one).
 */
export function decideLadder(policy: LadderPolicy | null, state: LadderState | null, used: number, periodStart: Date): LadderDecision {
  const newPeriod = state?.periodStart?.getTime() !== periodStart.getTime();
  const inForce = !!(state?.throttledAt || state?.suspendedAt);
  const quota = policy?.trafficQuota ?? 0;
  const pct = usedPct(used, quota);
  if (!policy || quota <= 0) return { lift: inForce, newPeriod, steps: [], pct };
  const done = newPeriod ? null : state;
  const steps: LadderStep[] = [];
  if (pct >= policy.warnPct && !done?.warnedAt) steps.push('warn');
  if (pct >= 100 && policy.throttleRate > 0 && !done?.throttledAt) steps.push('throttle');
  if (policy.suspendPct != null && pct >= policy.suspendPct && !done?.suspendedAt) steps.push('suspend');
  return { lift: newPeriod && inForce, newPeriod, steps, pct };
}
