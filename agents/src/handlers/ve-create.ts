import { defineHandler } from '../daemon/types';
import { createVe } from '../lxc/create';
import { runtimeOf } from '../lxc/from-ctx';
import { veInfo } from '../lxc/list';
import { startVe } from '../lxc/power';
import { settleCreate } from '../lxc/recover';

export const veCreate = defineHandler({
  method: 've.create',
  mutating: true,
  veOf: (p) => p.ctid,
  async run(params, ctx) {
    const rt = runtimeOf(ctx);
    const { start, ...input } = params;
    await createVe(rt, input, ctx.undo);
    if (start) await startVe(rt, params.ctid, ctx.undo);
    return veInfo(rt, params.ctid);
  },
  async recover(params, ctx) {
    const rt = runtimeOf(ctx);
    if ((await settleCreate(rt, params.ctid)) === 'cleaned') return { outcome: 'rerun' };
    return { outcome: 'done', result: await veInfo(rt, params.ctid) };
  },
});
