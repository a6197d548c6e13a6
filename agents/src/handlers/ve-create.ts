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
    // With start, the image stays mounted from create to start and the status comes from the start.
    await createVe(rt, input, ctx.undo, { keepMounted: !!start });
    const status = start ? (await startVe(rt, params.ctid, ctx.undo, { fresh: true })).status : 'stopped';
    return veInfo(rt, params.ctid, status);
  },
  async recover(params, ctx) {
    const rt = runtimeOf(ctx);
    if ((await settleCreate(rt, params.ctid)) === 'cleaned') return { outcome: 'rerun' };
    return { outcome: 'done', result: await veInfo(rt, params.ctid) };
  },
});
