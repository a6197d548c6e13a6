// The plan quota form's fields <-> a UsagePolicy, with the same rules the server checks (pure).
export type Form = { quotaMb: string; warnPct: string; throttleKb: string; suspendPct: string; anchorDay: string };
export type Policy = { anchorDay: number | null; trafficQuota: number; warnPct: number; throttleRate: number; suspendPct: number | null };

export const toForm = (p: Policy): Form => ({
  quotaMb: String(p.trafficQuota / 1e6), warnPct: String(p.warnPct), throttleKb: String(p.throttleRate / 1000),
  suspendPct: p.suspendPct == null ? '' : String(p.suspendPct), anchorDay: p.anchorDay == null ? '' : String(p.anchorDay),
});

/** Pure: the policy a form describes, or the message of each field that is wrong. */
export function readPolicyForm(f: Form): { policy?: Policy; errors: Partial<Record<keyof Form, string>> } {
  const e: Partial<Record<keyof Form, string>> = {};
  const num = (k: keyof Form) => (f[k].trim() === '' ? NaN : Number(f[k]));
  const quota = num('quotaMb'), warn = num('warnPct'), kb = num('throttleKb');
  const suspend = f.suspendPct.trim() === '' ? null : num('suspendPct');
  const anchor = f.anchorDay.trim() === '' ? null : num('anchorDay');
  if (!(quota >= 0)) e.quotaMb = 'a size in MB, 0 for no quota';
  if (!Number.isInteger(warn) || warn < 1 || warn > 100) e.warnPct = 'a whole percentage, 1-100';
  if (!(kb === 0 || kb >= 8)) e.throttleKb = '0 (no throttle) or at least 8 kB/s';
  if (suspend !== null && (!Number.isInteger(suspend) || suspend < 1 || suspend > 1000)) e.suspendPct = 'a whole percentage, 1-1000, or empty';
  else if (suspend !== null && suspend <= warn) e.suspendPct = 'must be above the warning share';
  else if (suspend !== null && kb > 0 && suspend < 100) e.suspendPct = 'with a throttle at 100 %, 100 or above';
  if (anchor !== null && (!Number.isInteger(anchor) || anchor < 1 || anchor > 28)) e.anchorDay = 'a day 1-28, or empty';
  if (Object.keys(e).length) return { errors: e };
  return { errors: e, policy: { trafficQuota: Math.round(quota * 1e6), warnPct: warn, throttleRate: Math.round(kb * 1000), suspendPct: suspend, anchorDay: anchor } };
}

