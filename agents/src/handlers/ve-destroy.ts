import { defineHandler } from '../daemon/types';
import { destroyVe } from '../lxc/destroy';
import { runtimeOf } from '../lxc/from-ctx';
import { veExists } from '../lxc/ve-store';

export const veDestroy = defineHandler({
  method: 've.destroy',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => destroyVe(runtimeOf(ctx), params.ctid),
  async recover(params, ctx) {
    if (await veExists(ctx.vzroot, params.ctid)) return { outcome: 'rerun' };
    return { outcome: 'done', result: { ctid: params.ctid, destroyed: true as const } };
  },
});
