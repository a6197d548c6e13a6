// Billing suspend/unsuspend tasks (services/billing/suspension.ts queues them) with existing agent verbs:
// stop mode = ve.stop / ve.start; network mode = ve.set ipdel / ipadd (+ default routes put back).
import type { VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { SUSPEND_TASK, UNSUSPEND_TASK, type SuspensionTaskParams } from '@/server/services/billing/suspension';
import { agentForNode, taskCallOptions } from './agent';

function target(ctx: TaskContext) {
  const { veId, nodeId, ctid } = ctx.task;
  if (!veId || !nodeId || ctid == null) throw new AppError('INTERNAL', `task ${ctx.task.id} names no node or VE`);
  return { veId, nodeId, ctid };
}

const plain = (cidr: string) => cidr.split('/')[0];
type Agent = Awaited<ReturnType<typeof agentForNode>>;
type Addresses = SuspensionTaskParams['addresses'];

/** Takes the VE's addresses off (a network-only suspension, the traffic quota's cut); the VE keeps running. */
export async function cutNetwork(ctx: TaskContext, agent: Agent, ctid: number, addresses: Addresses, progress?: [number, number]) {
  if (addresses.length) await agent.call('ve.set', { ctid, ipdel: addresses.map((a) => plain(a.cidr)) }, taskCallOptions(ctx, 'ipdel', progress));
  await ctx.log(`network cut: ${addresses.length} address(es) removed; the VE keeps running`);
  return addresses.map((a) => plain(a.cidr));
}

/** Puts the addresses back, and the default routes when the VE runs. */
export async function restoreNetwork(ctx: TaskContext, agent: Agent, ctid: number, addresses: Addresses, running: boolean, progress?: [number, number]) {
  if (!addresses.length) return;
  await agent.call('ve.set', { ctid, ipadd: addresses.map((a) => a.cidr) }, taskCallOptions(ctx, 'ipadd', progress));
  if (running) await restoreRoutes(ctx, ctid, { addresses });
}

async function runSuspend(ctx: TaskContext) {
  const { nodeId, ctid } = target(ctx);
  const p = taskParams(ctx, SUSPEND_TASK);
  const agent = await agentForNode(ctx.prisma, nodeId);
  if (p.mode === 'network') {
    return { ctid, mode: p.mode, removed: await cutNetwork(ctx, agent, ctid, p.addresses) };
  }
  const st = await agent.call('ve.status', { ctid });
  // A frozen VE must thaw before it can stop cleanly.
  if (st.status === 'suspended') await agent.call('ve.resume', { ctid }, taskCallOptions(ctx, 'resume', [0, 20]));
  if (st.status !== 'stopped') await agent.call('ve.stop', { ctid }, taskCallOptions(ctx, 'stop', [20, 100]));
  return { ctid, mode: p.mode, stopped: true };
}

// Removing the last address drops the VE's routes; put the default routes back from inside the VE
// (argument arrays, gateways from the panel's pools). If that cannot be done, restart the VE.
export async function restoreRoutes(ctx: TaskContext, ctid: number, p: Pick<SuspensionTaskParams, 'addresses'>) {
  const agent = await agentForNode(ctx.prisma, target(ctx).nodeId);
  for (const fam of [4, 6] as const) {
    const gw = p.addresses.find((a) => a.family === fam && a.gateway)?.gateway;
    if (!gw) continue;
    const r = await agent.call('ve.exec', { ctid, command: ['ip', `-${fam}`, 'route', 'replace', 'default', 'via', gw, 'dev', 'eth0'], timeoutSec: 15 }, { timeoutMs: 30_000 })
      .catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
    if (r.exitCode !== 0) {
      await ctx.log(`could not restore the IPv${fam} default route inside the VE (${r.stderr.trim().slice(0, 200)}); restarting it`, 'warn');
      await agent.call('ve.restart', { ctid }, taskCallOptions(ctx, 'restart', [60, 100]));
      return;
    }
  }
}

async function runUnsuspend(ctx: TaskContext) {
  const { veId, nodeId, ctid } = target(ctx);
  const p = taskParams(ctx, UNSUSPEND_TASK);
  const agent = await agentForNode(ctx.prisma, nodeId);
  let st = await agent.call('ve.status', { ctid });
  if (st.status === 'suspended') st = await agent.call('ve.resume', { ctid }, taskCallOptions(ctx, 'resume', [0, 20]));
  // The traffic quota may have cut the network too (VeUsage.suspendedAt): it stays cut until the quota lifts.
  const quotaCut = p.mode === 'network' && !!(await ctx.prisma.veUsage.findUnique({ where: { veId }, select: { suspendedAt: true } }))?.suspendedAt;
  if (quotaCut) await ctx.log('addresses stay off: the traffic quota has cut the network until the next period or an admin\'s reset', 'warn');
  if (p.mode === 'network' && !quotaCut) await restoreNetwork(ctx, agent, ctid, p.addresses, st.status === 'running', [20, 50]);
  if (p.restore === 'running' && st.status === 'stopped') await agent.call('ve.start', { ctid }, taskCallOptions(ctx, 'start', [50, 100]));
  st = await agent.call('ve.status', { ctid });
  const state: VeState = st.status === 'running' || st.status === 'starting' ? 'running' : 'stopped';
  await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state, suspendedAt: null, suspendReason: null, suspendMode: null, prevPowerState: null, lastError: null } });
  return { ctid, mode: p.mode, status: st.status };
}

// The VE stays suspended in the panel (billing said so); the reason the node side failed is shown.
async function failed(ctx: TaskContext, e: unknown) {
  const { veId } = ctx.task;
  const what = ctx.task.type === SUSPEND_TASK ? 'suspend' : 'unsuspend';
  if (veId) await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { lastError: `${what} on the node failed: ${e instanceof Error ? e.message : String(e)}` } });
}

let registered = false;

/** Registers ve.billing.suspend / ve.billing.unsuspend (idempotent). */
export function registerSuspensionTasks(): void {
  if (registered) return;
  registered = true;
  registerTaskHandler({ type: SUSPEND_TASK, run: runSuspend, onFailed: failed });
  registerTaskHandler({ type: UNSUSPEND_TASK, run: runUnsuspend, onFailed: failed });
}
