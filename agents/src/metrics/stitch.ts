// Turns raw kernel counters (which start over when a VE restarts) into per-sample growth that
// never goes backwards, and keeps what it needs to carry on after the agent restarts.
import { randomBytes } from 'node:crypto';
import { COUNTER_KEYS, type UsageCounters } from '@/agents/protocol/methods/usage';

export type Counters = Record<keyof UsageCounters, number>;

/** What the agent remembers about one VE between samples (persisted with the spool state). */
export interface VeStream {
  /** Stream id: new when the agent has no memory of the VE (the panel then counts from 0). */
  epoch: string;
  /** Identity of the cgroup the last raw values came from; undefined while stopped. */
  cg?: string;
  last: Partial<Counters>;
  /** Stitched totals since the stream began (monotonic). */
  tot: Partial<Counters>;
}

export const zeroCounters = (): Counters => Object.fromEntries(COUNTER_KEYS.map((k) => [k, 0])) as Counters;
export const newStream = (): VeStream => ({ epoch: randomBytes(6).toString('hex'), last: {}, tot: {} });

/**
 * Growth of each counter since the previous reading. A new cgroup identity (the VE restarted)
 * or any counter going backwards means the kernel started over: the new raw value is all growth.
 */
export function stitch(s: VeStream, cg: string, raw: Counters): Counters {
  const restarted = s.cg !== cg || COUNTER_KEYS.some((k) => raw[k] < (s.last[k] ?? 0));
  const d = zeroCounters();
  for (const k of COUNTER_KEYS) {
    d[k] = restarted ? raw[k] : raw[k] - (s.last[k] ?? 0);
    s.tot[k] = (s.tot[k] ?? 0) + d[k];
  }
  s.cg = cg;
  s.last = raw;
  return d;
}

/** Drops zero counters: an idle VE's sample stays a few dozen bytes. */
export function nonZero(c: Counters): Partial<Counters> {
  const out: Partial<Counters> = {};
  for (const k of COUNTER_KEYS) if (c[k]) out[k] = c[k];
  return out;
}
