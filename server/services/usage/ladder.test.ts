// The quota ladder's decision: each rung once per period, in order, and a new period lifts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideLadder, type LadderPolicy, type LadderState, type LadderStep } from './ladder';
import { quotaView } from './quota-view';

const MB = 1_000_000;
const P1 = new Date('2026-12-01T00:00:00Z');
const P2 = new Date('2027-01-01T00:00:00Z');
const policy: LadderPolicy = { trafficQuota: MB, warnPct: 80, throttleRate: 50_000, suspendPct: 150 };
const none: LadderState = { periodStart: P1, warnedAt: null, throttledAt: null, suspendedAt: null };
const t = new Date('2026-12-05T10:00:00Z');

describe('decideLadder', () => {
  it.each([
    [0.5 * MB, []],
    [0.8 * MB, ['warn']],
    [MB, ['warn', 'throttle']],
    [1.49 * MB, ['warn', 'throttle']],
    [1.5 * MB, ['warn', 'throttle', 'suspend']],
  ] as const)('%d bytes of a 1 MB quota: %j', (used, steps) => {
    expect(decideLadder(policy, none, used, P1).steps).toEqual(steps);
  });

  it('a rung taken this period is not taken again', () => {
    const st = { ...none, warnedAt: t, throttledAt: t };
    expect(decideLadder(policy, st, 1.2 * MB, P1)).toMatchObject({ steps: [], lift: false, newPeriod: false });
    expect(decideLadder(policy, st, 2 * MB, P1).steps).toEqual(['suspend']);
  });

  it('no throttle rate: no throttle rung; no suspend share: never suspends', () => {
    expect(decideLadder({ ...policy, throttleRate: 0, suspendPct: null }, none, 10 * MB, P1).steps).toEqual(['warn']);
  });

  it('a new period lifts what is in force and starts the rungs afresh', () => {
    const st = { ...none, warnedAt: t, throttledAt: t, suspendedAt: t };
    expect(decideLadder(policy, st, 0, P2)).toMatchObject({ lift: true, newPeriod: true, steps: [] });
    expect(decideLadder(policy, st, 0.9 * MB, P2)).toMatchObject({ lift: true, steps: ['warn'] });
  });

  it('a quota removed from the plan lifts a throttle at once', () => {
    expect(decideLadder({ ...policy, trafficQuota: 0 }, { ...none, throttledAt: t }, 5 * MB, P1)).toMatchObject({ lift: true, steps: [] });
    expect(decideLadder(null, { ...none, suspendedAt: t }, 5 * MB, P1)).toMatchObject({ lift: true, steps: [] });
  });

  it('property: replaying the steps taken never takes one twice, and a rung is due exactly when its threshold is reached', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 10 * MB }), fc.integer({ min: 1, max: 100 }), fc.option(fc.integer({ min: 1, max: 100 }), { nil: null }),
      fc.array(fc.integer({ min: 0, max: 20 * MB }), { minLength: 1, maxLength: 12 }),
      (quota, warnPct, suspendPct, usages) => {
        const pol = { trafficQuota: quota, warnPct, throttleRate: 10_000, suspendPct };
        let st: LadderState = { ...none };
        const seen: LadderStep[] = [];
        let max = 0;
        for (const u of [...usages].sort((a, b) => a - b)) {
          max = Math.max(max, u);
          const d = decideLadder(pol, st, u, P1);
          expect(d.lift).toBe(false);
          for (const s of d.steps) {
            expect(seen).not.toContain(s);
            seen.push(s);
            st = { ...st, [s === 'warn' ? 'warnedAt' : s === 'throttle' ? 'throttledAt' : 'suspendedAt']: t };
          }
        }
        const pct = (max / quota) * 100;
        expect(seen.includes('warn')).toBe(pct >= warnPct);
        expect(seen.includes('throttle')).toBe(pct >= 100);
        expect(seen.includes('suspend')).toBe(suspendPct != null && pct >= suspendPct);
      },
    ));
  });
});

describe('quotaView', () => {
  const period = { start: P1, end: P2 };
  const state = { periodStart: P1, warnedAt: t, throttledAt: t, suspendedAt: null, throttleRate: 50_000, trafficOffset: 0n };
  it('says what the VE is throttled to, why, and when it lifts', () => {
    expect(quotaView({ policy, state }, 1.2 * MB, period)).toMatchObject({
      quotaBytes: MB, usedBytes: 1.2 * MB, pct: 120, throttle: { bytesPerSec: 50_000, since: t.toISOString() }, networkSuspended: null, liftsAt: P2.toISOString(),
    });
  });
  it('steps of an earlier period are not reported as in force; a reset\'s forgiven traffic is not counted', () => {
    expect(quotaView({ policy, state }, 0, { start: P2, end: new Date('2027-02-01T00:00:00Z') })).toMatchObject({ throttle: null, warnedAt: null, liftsAt: null });
    expect(quotaView({ policy, state: { ...state, throttledAt: null, trafficOffset: 1_000_000n } }, 1.3 * MB, period)).toMatchObject({ usedBytes: 0.3 * MB, throttle: null });
  });
  it('no quota and nothing in force: null', () => {
    expect(quotaView({ policy: null, state: null }, 5 * MB, period)).toBeNull();
  });
});
