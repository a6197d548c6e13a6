import { AgentError } from '../daemon/errors';
import { defineHandler } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { veStatus } from '../lxc/power';
import { vePaths } from '../sys/paths';

/** `console.prepare`: `vzagent console` asks this before attaching, so only the daemon knows vzroot. */
export const consolePrepare = defineHandler({
  method: 'console.prepare',
  async run({ ctid }, ctx) {
    const st = await veStatus(runtimeOf(ctx), ctid);
    if (!st.exists) throw new AgentError('NOT_FOUND', `VE ${ctid} does not exist`);
    if (st.status === 'suspended') throw new AgentError('VE_NOT_RUNNING', `VE ${ctid} is suspended`);
    if (st.status !== 'running') throw new AgentError('VE_NOT_RUNNING', `VE ${ctid} is not running`);
    return { ctid, lxcpath: vePaths(ctx.vzroot, ctid).lxcpath };
  },
});
