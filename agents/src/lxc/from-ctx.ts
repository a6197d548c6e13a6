// Build the runtime's view of the node from a daemon handler context.
import type { HandlerContext } from '../daemon/types';
import type { Runtime } from './runtime';

/** VZ_VE_NETWORKS (comma-separated CIDRs) limits which addresses VEs may be given; unset = any. */
export function runtimeOf(ctx: Pick<HandlerContext, 'vzroot' | 'config' | 'progress' | 'log'>): Runtime {
  const nets = (process.env.VZ_VE_NETWORKS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    vzroot: ctx.vzroot,
    bridge: ctx.config.bridge,
    networks: nets,
    progress: (pct, msg) => ctx.progress(pct, msg),
    log: (line) => ctx.log(line),
  };
}
