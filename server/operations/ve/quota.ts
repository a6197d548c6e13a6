// The traffic quota's node work (services/usage/quota-apply.ts queues it): ve.throttle for the
// throttle and its lifting; the network cut and its restoring with the same verbs as a network-only
// billing suspension (ve.set ipdel / ipadd, default routes put back from inside the VE).
import { AppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { agentForNode, taskCallOptions } from './agent';
import { cutNetwork, restoreNetwork } from './suspension';

async function runQuota(ctx: TaskContext) {
  const { nodeId, ctid } = ctx.task;
  if (!nodeId || ctid == null) throw new AppError('INTERNAL', `task ${ctx.task.id} names no node or VE`);
  const p = taskParams(ctx, 've.quota');
  const agent = await agentForNode(ctx.prisma, nodeId);
  await ctx.log(p.why);
  const out: Record<string, unknown> = { ctid };
  if (p.throttle !== undefined) {
    const r = await agent.call('ve.throttle', { ctid, rate: p.throttle }, taskCallOptions(ctx, 'throttle', [0, 40]));
    await ctx.log(p.throttle ? `throttled to ${p.throttle} bits/s (the VE runs at ${r.effective || 'no cap'})` : `throttle lifted (the VE runs at ${r.effective ? `${r.effective} bits/s, the plan's cap` : 'no cap'})`);
    out.shaping = r;
  }
  if (p.network === 'cut' && p.addresses.length) await cutNetwork(ctx, agent, ctid, p.addresses, [40, 100]);
  else if (p.network === 'restore' && p.addresses.length) {
    await restoreNetwork(ctx, agent, ctid, p.addresses, (await agent.call('ve.status', { ctid })).status === 'running', [40, 70]);
    await ctx.log(`network restored: ${p.addresses.length} address(es)`);
  }
  if (p.network) out.network = p.network;
  return out;
}

/**
 * The step's record was written when the task was queued. A step the node never took is taken off
 * the record, so the next evaluation after a pull queues it again instead of claiming a throttle or
 * a cut the node does not have. A lift the node never made is said on the VE (its next period or an
 * admin's reset sends it again).
 */
async function onFailed(ctx: TaskContext, e: unknown) {
  const veId = ctx.task.veId;
  if (!veId) return;
  const p = taskParams(ctx, 've.quota');
  const undo: { throttledAt?: null; throttleRate?: null; suspendedAt?: null } = {};
  if (p.throttle) Object.assign(undo, { throttledAt: null, throttleRate: null });
  if (p.network === 'cut') undo.suspendedAt = null;
  if (Object.keys(undo).length) {
    await ctx.prisma.veUsage.updateMany({ where: { veId }, data: undo });
    await ctx.log('the node did not take this quota step: it is off the record and will be taken again after the next usage pull', 'warn');
  }
  if (p.throttle === 0 || p.network === 'restore') {
    const why = e instanceof Error ? e.message : String(e);
    await ctx.prisma.ve.update({ where: { id: veId }, data: { lastError: `lifting the traffic quota on the node failed (${why}): the VE may still be throttled or cut off; reset its quota to try again` } });
  }
}

let registered = false;

/** Registers ve.quota (idempotent). */
export function registerQuotaTask(): void {
  if (registered) return;
  registered = true;
  registerTaskHandler({ type: 've.quota', run: runQuota, onFailed });
}
