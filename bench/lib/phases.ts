// Per-phase timings of agent calls from their progress marks (pct + message, ms since the call began).
import type { Marks } from './agent';
import { median } from './stats';

/**
 * Segment i runs from mark i-1 to mark i and is named after the message that opened it
 * ("checks" before the first mark). Returns [name, median ms] in call order.
 */
export function phaseBreakdown(all: Marks[]): [string, number][] {
  const per = new Map<string, number[]>();
  for (const marks of all) {
    let prev = 0;
    let name = 'checks (before first progress)';
    for (const [t, pct, msg] of marks) {
      const key = name;
      const list = per.get(key) ?? [];
      list.push(t - prev);
      per.set(key, list);
      prev = t;
      name = `${pct}% ${msg}`.trim();
    }
  }
  const rows: [string, number][] = [...per].map(([k, v]) => [k, median(v)]);
  const total = all.length ? median(all.map((m) => m.at(-1)?.[0] ?? NaN)) : NaN;
  rows.push(['total (median of call times)', total]);
  return rows;
}
