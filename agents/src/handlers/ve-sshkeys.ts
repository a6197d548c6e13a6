import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { setSshKeys } from '../lxc/ssh-keys';

export const veSshKeys = defineHandler({
  method: 've.sshkeys',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => setSshKeys(runtimeOf(ctx), params, ctx.undo),
});
