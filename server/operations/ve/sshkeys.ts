// ve.sshkeys: the VE's panel-managed keys added to / removed from its /root/.ssh/authorized_keys on the node.
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { AppError } from '@/server/errors';
import { agentForNode, taskCallOptions } from './agent';

function target(ctx: TaskContext) {
  const { veId, nodeId, ctid } = ctx.task;
  if (!veId || !nodeId || ctid == null) throw new AppError('INTERNAL', `task ${ctx.task.id} names no VE or node`);
  return { veId, nodeId, ctid };
}

async function run(ctx: TaskContext) {
  const { veId, nodeId, ctid } = target(ctx);
  const p = taskParams(ctx, 've.sshkeys');
  const agent = await agentForNode(ctx.prisma, nodeId);
  const res = await agent.call('ve.sshkeys', { ctid, add: p.add, remove: p.remove }, taskCallOptions(ctx, 'sshkeys'));
  // The VE no longer accepts the removed key: only now does the panel forget it.
  if (p.remove.length) await ctx.prisma.veSshKey.deleteMany({ where: { veId, publicKey: { in: p.remove } } });
  await ctx.log(`${p.add.length ? 'added' : 'removed'} ${p.add.length + p.remove.length} key(s); /root/.ssh/authorized_keys has ${res.keys.length} key(s)${res.live ? '' : ' (VE stopped: written through its mount)'}`);
  return { keys: res.keys.length, live: res.live };
}

// A key that never reached the VE is not kept (the node unwinds a failed write); a failed remove keeps it listed.
async function onFailed(ctx: TaskContext) {
  const p = taskParams(ctx, 've.sshkeys');
  if (p.add.length && ctx.task.veId) await ctx.prisma.veSshKey.deleteMany({ where: { veId: ctx.task.veId, publicKey: { in: p.add } } });
}

/** Registers ve.sshkeys with the task runner. */
export function registerSshKeyTasks(): void {
  registerTaskHandler({ type: 've.sshkeys', run, onFailed });
}
