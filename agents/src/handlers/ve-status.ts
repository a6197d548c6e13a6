import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { veFeed } from '../lxc/ve-feed';
import { veStatus } from '../lxc/power';
import { veUbc } from '../lxc/ubc';

export const veStatusHandler = defineHandler({
  method: 've.status',
  run: (params, ctx) => veStatus(runtimeOf(ctx), params.ctid),
});

export const veList = defineHandler({
  method: 've.list',
  run: (params, ctx) => veFeed(runtimeOf(ctx), params.since),
});

export const veUbcHandler = defineHandler({
  method: 've.ubc',
  run: (params, ctx) => veUbc(runtimeOf(ctx), params.ctid),
});
