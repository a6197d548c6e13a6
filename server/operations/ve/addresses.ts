// ve.address: one extra address added to or removed from a VE on its node (ve.set ipadd/ipdel: live
// when running, saved in its config; the agent re-renders the anti-spoofing filter).
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { clearDrift } from '@/server/services/ves/drift';
import { AppError } from '@/server/errors';
import { agentForNode, taskCallOptions } from './agent';

function target(ctx: TaskContext) {
  const { veId, nodeId, ctid } = ctx.task;
  if (!veId || !nodeId || ctid == null) throw new AppError('INTERNAL', `task ${ctx.task.id} names no VE or node`);
  return { veId, nodeId, ctid };
}

const release = (ctx: TaskContext, veId: string, address: string) =>
  ctx.prisma.ipAddress.updateMany({ where: { address, veId }, data: { veId: null, assignedAt: null } });

async function run(ctx: TaskContext) {
  const { veId, nodeId, ctid } = target(ctx);
  const p = taskParams(ctx, 've.address');
  const agent = await agentForNode(ctx.prisma, nodeId);
  const res = await agent.call('ve.set', { ctid, ...(p.op === 'add' ? { ipadd: [p.cidr] } : { ipdel: [p.address] }) }, taskCallOptions(ctx, `ip-${p.op}`));
  // The node no longer has it: only now may another VE be given the address.
  if (p.op === 'remove') await release(ctx, veId, p.address);
  await clearDrift(ctx.prisma, veId, ['ips']);
  await ctx.log(`${p.op === 'add' ? 'added' : 'removed'} ${p.cidr}${res.running ? ' (live)' : ' (at the next start)'}`);
  return { address: p.address, op: p.op, live: res.running };
}

// A failed add frees the address only when the node is known not to have it; a failed remove keeps it bound.
async function onFailed(ctx: TaskContext) {
  const p = taskParams(ctx, 've.address');
  if (p.op !== 'add') return;
  const { veId, nodeId, ctid } = target(ctx);
  const ves = await (await agentForNode(ctx.prisma, nodeId)).call('ve.list', {}, { timeoutMs: 10_000 }).catch(() => null);
  if (!ves) return void (await ctx.log(`${p.address} stays assigned: the node could not say whether it has it`, 'warn'));
  const onNode = ves.ves.find((v) => v.ctid === ctid)?.ips.some((x) => x.split('/')[0] === p.address);
  if (!onNode) await release(ctx, veId, p.address);
}

/** Registers ve.address with the task runner. */
export function registerAddressTasks(): void {
  registerTaskHandler({ type: 've.address', run, onFailed });
}
