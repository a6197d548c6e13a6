// ve.checkpoint / ve.restore: CRIU only. Where `criu check` fails they refuse with its reason.
import type { AnyHandler } from '../daemon/types';
import { defineHandler } from '../daemon/types';
import { AgentError } from '../daemon/errors';
import { criuStatus } from '../daemon/probe';

async function refuse(what: string, ctid: number): Promise<never> {
  const criu = await criuStatus();
  if (!criu.usable) {
    throw new AgentError('UNSUPPORTED', `${what} of VE ${ctid} needs CRIU, which is not usable on this node: ${criu.reason ?? 'criu check failed'}`, { capability: 'criu', reason: criu.reason ?? '' });
  }
  // criu check passes but this agent has no checkpoint implementation yet: say so rather than guess.
  throw new AgentError('UNSUPPORTED', `${what} of VE ${ctid}: this agent version does not implement CRIU checkpoints`, { capability: 'criu' });
}

const checkpoint = defineHandler({
  method: 've.checkpoint',
  veOf: (p) => p.ctid,
  run: (p) => refuse('checkpoint', p.ctid),
});

const restore = defineHandler({
  method: 've.restore',
  veOf: (p) => p.ctid,
  run: (p) => refuse('restore', p.ctid),
});

export const checkpointHandlers: AnyHandler[] = [checkpoint, restore];
