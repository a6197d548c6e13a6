import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { resumeVe, suspendVe } from '../lxc/power';

export const veSuspend = defineHandler({
  method: 've.suspend',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => suspendVe(runtimeOf(ctx), params.ctid),
});

export const veResume = defineHandler({
  method: 've.resume',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => resumeVe(runtimeOf(ctx), params.ctid),
});
