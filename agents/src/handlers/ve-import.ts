import { defineHandler } from '../daemon/types';
import { importVe, listImportable, planImport } from '../import/openvz';
import { runtimeOf } from '../lxc/from-ctx';
import { veInfo } from '../lxc/list';
import { startVe } from '../lxc/power';
import { settleCreate } from '../lxc/recover';

export const veImportPlan = defineHandler({
  method: 've.import.plan',
  mutating: false,
  async run(params, ctx) {
    return planImport(runtimeOf(ctx), params);
  },
});

export const veImportList = defineHandler({
  method: 've.import.list',
  mutating: false,
  async run(params, ctx) {
    return { ves: await listImportable(runtimeOf(ctx), params) };
  },
});

export const veImport = defineHandler({
  method: 've.import',
  mutating: true,
  veOf: (p) => p.ctid,
  async run(params, ctx) {
    const rt = runtimeOf(ctx);
    const plan = await importVe(rt, params, ctx.undo);
    const status = params.start ? (await startVe(rt, params.ctid, ctx.undo)).status : 'stopped';
    return { plan, ve: await veInfo(rt, params.ctid, status) };
  },
  // Like a create: a half-made VE is removed and the import runs again.
  async recover(params, ctx) {
    const rt = runtimeOf(ctx);
    if ((await settleCreate(rt, params.ctid)) === 'cleaned') return { outcome: 'rerun' };
    return { outcome: 'done', result: { plan: await planImport(rt, params).catch(() => { throw new Error('imported; the source is gone'); }), ve: await veInfo(rt, params.ctid) } };
  },
});
