import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { veInfo } from '../lxc/list';
import { reinstallVe } from '../lxc/reinstall';

export const veReinstall = defineHandler({
  method: 've.reinstall',
  mutating: true,
  veOf: (p) => p.ctid,
  async run(params, ctx) {
    const rt = runtimeOf(ctx);
    await reinstallVe(rt, params, ctx.undo);
    return veInfo(rt, params.ctid);
  },
});
