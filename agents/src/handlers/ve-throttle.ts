// Quota throttle (ve.throttle) and rate-cap report (ve.shaping); contract in agents/protocol/methods/traffic.ts.
import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { shapingReport, throttleVe } from '../lxc/throttle';

export const veThrottle = defineHandler({
  method: 've.throttle',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => throttleVe(runtimeOf(ctx), params, ctx.undo),
});

export const veShaping = defineHandler({
  method: 've.shaping',
  run: (params, ctx) => shapingReport(runtimeOf(ctx), params.ctid),
});
