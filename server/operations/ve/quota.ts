// The traffic quota's node work (services/usage/quota-apply.ts queues it): ve.throttle for the
// throttle and its lifting; the network cut and its restoring with the same verbs as a network-only
// billing suspension (ve.set ipdel / ipadd, default routes put back from inside the VE).
import { AppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { agentForNode, taskCallOptions } from './agent';
import { restoreRoutes } from './suspension';

const plain = (cidr: string) => cidr.split('/')[0];

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
  if (p.network === 'cut' && p.addresses.length) {
    await agent.call('ve.set', { ctid, ipdel: p.addresses.map((a) => plain(a.cidr)) }, taskCallOptions(ctx, 'ipdel', [40, 100]));
    await ctx.log(`network cut: ${p.addresses.length} address(es) removed; the VE keeps running`);
  } else if (p.network === 'restore' && p.addresses.length) {
    await agent.call('ve.set', { ctid, ipadd: p.addresses.map((a) => a.cidr) }, taskCallOptions(ctx, 'ipadd', [40, 70]));
    const st = await agent.call('ve.status', { ctid });
    if (st.status === 'running') await restoreRoutes(ctx, ctid, p);
    await ctx.log(`network restored: ${p.addresses.length} address(es)`);
  }
  if (p.network) out.network = p.network;
  return out;
}

let registered = false;

/** Registers ve.quota (idempotent). */
export function registerQuotaTask(): void {
  if (registered) return;
  registered = true;
  registerTaskHandler({ type: 've.quota', run: runQuota });
}
