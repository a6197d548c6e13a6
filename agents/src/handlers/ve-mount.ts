import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { mountVe, umountVe } from '../lxc/mount';

export const veMount = defineHandler({
  method: 've.mount',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => mountVe(runtimeOf(ctx), params.ctid, ctx.undo),
});

export const veUmount = defineHandler({
  method: 've.umount',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => umountVe(runtimeOf(ctx), params.ctid),
});
