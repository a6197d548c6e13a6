// Quota throttle and rate-cap report of a VE (ve.throttle, ve.shaping): conf is the record, tc the enforcement.
import { z } from 'zod';
import { netRate } from '../config/schema';
import { ctidSchema } from '../config/validate';
import { applyShaping, effectiveRate, readShaping, type LiveShaping } from '../net/shaping';
import { parseOrBadParams } from '../sys/params';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { lxcState } from './lxc-cli';
import { readVe, writeVe } from './ve-store';
import type { Runtime } from './runtime';

export interface ShapingReport {
  ctid: number; running: boolean; bandwidth: number; throttle: number; effective: number;
  /** Read back from the kernel; null when the VE is not running. */
  live: LiveShaping | null;
}

const throttleInput = z.object({ ctid: ctidSchema, rate: netRate });

async function isRunning(rt: Runtime, ctid: number): Promise<boolean> {
  const st = await lxcState(ctid, vePaths(rt.vzroot, ctid).lxcpath);
  return st === 'RUNNING' || st === 'FROZEN';
}

/** What the conf asks for and what the kernel enforces now. */
export async function shapingReport(rt: Runtime, ctid: number): Promise<ShapingReport> {
  const c = await readVe(rt.vzroot, ctid);
  const running = await isRunning(rt, ctid);
  return { ctid, running, bandwidth: c.bandwidth, throttle: c.throttle, effective: effectiveRate(c.bandwidth, c.throttle), live: running ? await readShaping(ctid) : null };
}

/**
 * Sets (rate > 0) or lifts (rate 0) the quota throttle: live first on a running VE (undone if
 * the conf write then fails), then saved in the conf so every later start applies it.
 */
export async function throttleVe(rt: Runtime, input: unknown, undo: Undo): Promise<ShapingReport> {
  const { ctid, rate } = parseOrBadParams(throttleInput, input);
  const cur = await readVe(rt.vzroot, ctid);
  const was = effectiveRate(cur.bandwidth, cur.throttle);
  const next = { ...cur, throttle: rate };
  const want = effectiveRate(next.bandwidth, next.throttle);
  if (await isRunning(rt, ctid)) {
    await applyShaping(ctid, want);
    undo.push('restore rate caps', () => applyShaping(ctid, was).then(() => undefined));
  }
  if (cur.throttle !== rate) await writeVe(rt.vzroot, next, rt.bridge);
  return shapingReport(rt, ctid);
}
