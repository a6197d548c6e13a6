import { z } from 'zod';
import { defineMethod } from '../define';
import { Ctid } from './ve';

/** A network rate in bits/s: 0 = none, else 64 kbit/s .. 100 Gbit/s (the agent re-checks the same bounds). */
export const NetRate = z.number().int().min(0).max(100_000_000_000)
  .refine((v) => v === 0 || v >= 64_000, '0 (none) or at least 64000 bits/s')
  .describe('bits/s, 0 = none');

export const ShapingResult = z.object({
  ctid: Ctid,
  running: z.boolean(),
  bandwidth: z.number().int().describe('plan cap from the conf (ve.set bandwidth), bits/s, 0 = none'),
  throttle: z.number().int().describe('quota throttle from the conf (ve.throttle), bits/s, 0 = none'),
  effective: z.number().int().describe('the lower of bandwidth and throttle (0 = none): what the VE should run at'),
  live: z.object({ toVe: z.number().int(), fromVe: z.number().int() }).nullable()
    .describe('what the kernel enforces now, read back from tc (bits/s each way, 0 = no cap); null = VE not running'),
});

/**
 * Traffic shaping (issue 11). Contract of `ve.throttle` for the quota ladder:
 * - `rate` (bits/s) is a throttle kept apart from the plan's `bandwidth`: the VE runs at the
 *   lower of the two; `rate: 0` lifts the throttle (back to the plan cap, or none).
 * - It is saved in the VE's conf (TRAFFIC_THROTTLE) before the call returns, so it survives VE
 *   restarts, agent restarts and node reboots, and applies at every start; a stopped VE is fine.
 * - On a running VE it is live at once (no restart) and `live` is read back from the kernel.
 * - Repeating the same call is harmless (idempotent); it takes the VE's lock like any change.
 */
export const trafficMethods = {
  've.throttle': defineMethod({
    params: z.object({ ctid: Ctid, rate: NetRate }),
    result: ShapingResult,
    mutating: true,
    description: 'Set (rate > 0) or lift (rate = 0) a VE\'s quota throttle in bits/s; the VE runs at min(bandwidth, throttle).',
  }),
  've.shaping': defineMethod({
    params: z.object({ ctid: Ctid }),
    result: ShapingResult,
    mutating: false,
    description: 'A VE\'s rate caps: configured (bandwidth, throttle) and enforced now (read back from tc).',
  }),
};
