import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { setVe } from '../lxc/set';

export const veSet = defineHandler({
  method: 've.set',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => setVe(runtimeOf(ctx), params, ctx.undo),
});
