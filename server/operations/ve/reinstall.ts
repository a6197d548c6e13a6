// ve.reinstall task: stop the VE, lay a fresh root filesystem from the template (same CTID, addresses,
// limits), and start it again if it was running before.
import type { VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { agentForNode, taskCallOptions } from './agent';
import { ensureTemplateOnNode } from './templates';
import { veSshKeyLines } from '@/server/services/ves/sshKeys';

function target(ctx: TaskContext) {
  const { veId, nodeId, ctid } = ctx.task;
  if (!nodeId || ctid == null) throw new AppError('INTERNAL', `task ${ctx.task.id} names no node or VE`);
  return { veId, nodeId, ctid };
}

async function runReinstall(ctx: TaskContext) {
  const { veId, nodeId, ctid } = target(ctx);
  const p = taskParams(ctx, 've.reinstall');
  const agent = await agentForNode(ctx.prisma, nodeId);
  await ensureTemplateOnNode(agent, p.template, ctx, nodeId);
  const st = await agent.call('ve.status', { ctid });
  if (st.status !== 'stopped') await agent.call('ve.stop', { ctid }, taskCallOptions(ctx, 'stop', [10, 25]));
  await agent.call('ve.reinstall', { ctid, ostemplate: p.template, ...(p.passwordHash ? { passwordHash: p.passwordHash } : {}) }, taskCallOptions(ctx, 'reinstall', [25, 85]));
  // The fresh filesystem has no authorized_keys: the VE's keys are written again before it starts.
  const keys = veId ? await veSshKeyLines(ctx.prisma, veId) : [];
  if (keys.length) await agent.call('ve.sshkeys', { ctid, add: keys, remove: [] }, taskCallOptions(ctx, 'sshkeys', [85, 88]));
  const wasRunning = p.previousState === 'running';
  const after = wasRunning ? await agent.call('ve.start', { ctid }, taskCallOptions(ctx, 'start', [85, 100])) : await agent.call('ve.status', { ctid });
  const state: VeState = after.status === 'running' ? 'running' : 'stopped';
  if (veId) await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state, templateId: p.templateId, templateVersion: p.templateVersion ?? null, lastError: null } });
  return { ctid, template: p.template, status: after.status };
}

// A failed reinstall leaves the VE as the node reports it, with the reason shown.
async function reinstallFailed(ctx: TaskContext, e: unknown) {
  const { veId, nodeId, ctid } = target(ctx);
  if (!veId) return;
  const message = e instanceof Error ? e.message : String(e);
  let state: VeState = 'error';
  try {
    const agent = await agentForNode(ctx.prisma, nodeId);
    const st = await agent.call('ve.status', { ctid }, { timeoutMs: 10_000 });
    if (st.exists) state = st.status === 'running' ? 'running' : 'stopped';
  } catch {
    /* node unreachable: keep error */
  }
  await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state, lastError: `reinstall failed: ${message}` } });
}

let registered = false;

/** Registers the ve.reinstall task type (idempotent). */
export function registerReinstallTask(): void {
  if (registered) return;
  registered = true;
  registerTaskHandler({ type: 've.reinstall', run: runReinstall, onFailed: reinstallFailed });
}
