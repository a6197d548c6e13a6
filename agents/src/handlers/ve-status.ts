import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { listVes } from '../lxc/list';
import { veStatus } from '../lxc/power';
import { veUbc } from '../lxc/ubc';

export const veStatusHandler = defineHandler({
  method: 've.status',
  run: (params, ctx) => veStatus(runtimeOf(ctx), params.ctid),
});

export const veList = defineHandler({
  method: 've.list',
  run: async (_params, ctx) => ({ ves: await listVes(runtimeOf(ctx)) }),
});

export const veUbcHandler = defineHandler({
  method: 've.ubc',
  run: (params, ctx) => veUbc(runtimeOf(ctx), params.ctid),
});
