import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { startVe, veStatus } from '../lxc/power';

export const veStart = defineHandler({
  method: 've.start',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => startVe(runtimeOf(ctx), params.ctid, ctx.undo),
  async recover(params, ctx) {
    const s = await veStatus(runtimeOf(ctx), params.ctid);
    return s.status === 'running' ? { outcome: 'done', result: s } : { outcome: 'rerun' };
  },
});
