import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { restartVe } from '../lxc/power';

export const veRestart = defineHandler({
  method: 've.restart',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => restartVe(runtimeOf(ctx), params.ctid, ctx.undo, { timeoutSec: params.timeoutSec }),
});
