import { describe, expect, it } from 'vitest';
import { readPolicyForm, toForm } from './quota-form';

const ok = { quotaMb: '1000', warnPct: '80', throttleKb: '64', suspendPct: '150', anchorDay: '' };

describe('plan quota form', () => {
  it('reads a valid form into bytes and bytes/s', () => {
    expect(readPolicyForm(ok).policy).toEqual({ trafficQuota: 1e9, warnPct: 80, throttleRate: 64_000, suspendPct: 150, anchorDay: null });
    expect(readPolicyForm({ ...ok, suspendPct: '', throttleKb: '0', anchorDay: '15' }).policy).toMatchObject({ suspendPct: null, throttleRate: 0, anchorDay: 15 });
  });
  it.each([
    [{ warnPct: '0' }, 'warnPct'], [{ warnPct: '101' }, 'warnPct'], [{ warnPct: '' }, 'warnPct'], [{ warnPct: '50.5' }, 'warnPct'],
    [{ suspendPct: '80' }, 'suspendPct'], [{ suspendPct: '90', warnPct: '50' }, 'suspendPct'], [{ suspendPct: '1001' }, 'suspendPct'],
    [{ throttleKb: '4' }, 'throttleKb'], [{ quotaMb: '-1' }, 'quotaMb'], [{ quotaMb: 'x' }, 'quotaMb'], [{ anchorDay: '29' }, 'anchorDay'],
  ])('refuses %j (field %s)', (patch, field) => {
    const r = readPolicyForm({ ...ok, ...patch });
    expect(r.policy).toBeUndefined();
    expect(Object.keys(r.errors)).toEqual([field]);
  });
  it('round-trips a stored policy', () => {
    const p = { trafficQuota: 5e11, warnPct: 70, throttleRate: 125_000, suspendPct: 200, anchorDay: 3 };
    expect(readPolicyForm(toForm(p)).policy).toEqual(p);
  });
});
