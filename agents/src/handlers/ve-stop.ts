import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { releaseRunningResources, stopVe, veStatus } from '../lxc/power';

export const veStop = defineHandler({
  method: 've.stop',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => stopVe(runtimeOf(ctx), params.ctid, { timeoutSec: params.timeoutSec, fast: params.fast }),
  async recover(params, ctx) {
    const rt = runtimeOf(ctx);
    const s = await veStatus(rt, params.ctid);
    if (s.status !== 'stopped') return { outcome: 'rerun' };
    await releaseRunningResources(rt, params.ctid);
    return { outcome: 'done', result: { ...(await veStatus(rt, params.ctid)), how: 'killed' as const } };
  },
});
