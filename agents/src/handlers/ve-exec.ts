import { defineHandler } from '../daemon/types';
import { execInVe } from '../lxc/exec';
import { runtimeOf } from '../lxc/from-ctx';

export const veExec = defineHandler({
  method: 've.exec',
  mutating: true,
  veOf: (p) => p.ctid,
  run: (params, ctx) => execInVe(runtimeOf(ctx), params),
  // A command cut short by an agent restart may or may not have run: say so, never run it twice.
  recover: async () => ({ outcome: 'failed', code: 'OP_INTERRUPTED', message: 'the agent restarted while the command ran; its outcome is unknown' }),
});
