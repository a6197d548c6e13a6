// ve.checkpoint / ve.restore: CRIU through lxc-checkpoint (agents/src/criu). Where CRIU is not usable they refuse with its reason.
import type { AnyHandler } from '../daemon/types';
import { defineHandler } from '../daemon/types';
import { AgentError } from '../daemon/errors';
import { criuStatus } from '../daemon/probe';
import { runtimeOf } from '../lxc/from-ctx';
import { checkpointVe } from '../criu/ve-checkpoint';
import { restoreVe } from '../criu/ve-restore';

async function needCriu(what: string, ctid: number): Promise<void> {
  const criu = await criuStatus();
  if (!criu.usable) {
    throw new AgentError('UNSUPPORTED', `${what} of VE ${ctid} needs CRIU, which is not usable on this node: ${criu.reason ?? 'criu check failed'}`, { capability: 'criu', reason: criu.reason ?? '' });
  }
}

const checkpoint = defineHandler({
  method: 've.checkpoint',
  veOf: (p) => p.ctid,
  async run(p, ctx) {
    await needCriu('checkpoint', p.ctid);
    ctx.progress(10, 'dumping');
    return checkpointVe(runtimeOf(ctx), p.ctid, { stop: p.stop, dir: p.file });
  },
});

const restore = defineHandler({
  method: 've.restore',
  veOf: (p) => p.ctid,
  async run(p, ctx) {
    await needCriu('restore', p.ctid);
    ctx.progress(10, 'restoring');
    return restoreVe(runtimeOf(ctx), p.ctid, ctx.undo, { dir: p.file });
  },
});

export const checkpointHandlers: AnyHandler[] = [checkpoint, restore];
