// Task handlers that turn VE tasks into agent calls on the VE's node, and keep the Ve row in step.
import type { ResultOf } from '@/agents/protocol';
import type { PrismaClient, VeState } from '@/server/db/client';
import { AppError, isAppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { releaseVeAddresses } from '@/server/services/ippools/allocate';
import type { TaskParams } from '@/server/services/tasks/definitions';
import { completeVeDestroy } from '@/server/services/ves/actions';
import { clearDrift } from '@/server/services/ves/drift';
import { agentForNode, taskCallOptions } from './agent';
import { agentLimits } from './limits';
import { ensureTemplateOnNode } from './templates';
import { forgetHeld, heldRecently, isTemplateMissing, rememberHeld } from './template-held';
import { registerSuspensionTasks } from './suspension';
import { registerAddressTasks } from './addresses';
import { registerSshKeyTasks } from './sshkeys';

type AgentStatus = ResultOf<'ve.status'>['status'];

const stateOf = (s: AgentStatus): VeState => (s === 'running' || s === 'starting' ? 'running' : s === 'suspended' ? 'suspended' : 'stopped');

function target(ctx: TaskContext) {
  const { veId, nodeId, ctid } = ctx.task;
  if (!nodeId || ctid == null) throw new AppError('INTERNAL', `task ${ctx.task.id} names no node or VE`);
  return { veId, nodeId, ctid };
}

async function setState(prisma: PrismaClient, veId: string | null, state: VeState, extra: { lastError?: string | null } = {}) {
  if (veId) await prisma.ve.updateMany({ where: { id: veId }, data: { state, ...extra } });
}

/**
 * The VE's state as its node reported it, and its power-state drift (if any) cleared, in one UPDATE.
 * updatedAt from this process's clock in UTC, as Prisma's @updatedAt writes it (the reconciler's delta feed compares it with its own clock).
 */
export async function setPowerState(prisma: PrismaClient, veId: string, state: VeState): Promise<void> {
  await prisma.$executeRaw`UPDATE "Ve" SET "state" = ${state}::"VeState", "updatedAt" = (${new Date().toISOString()}::timestamptz AT TIME ZONE 'UTC'),
      "drift" = CASE WHEN jsonb_typeof("drift") = 'object' THEN "drift" - 'state' ELSE "drift" END
    WHERE "id" = ${veId}`;
}

async function runCreate(ctx: TaskContext) {
  const { veId, nodeId, ctid } = target(ctx);
  const p = taskParams(ctx, 've.create');
  const agent = await agentForNode(ctx.prisma, nodeId);
  const ensure = async () => {
    await ensureTemplateOnNode(agent, p.template, ctx, nodeId);
    rememberHeld(nodeId, p.template);
  };
  const trusted = heldRecently(nodeId, p.template);
  if (!trusted) await ensure();
  const v4 = p.addresses.find((a) => a.family === 4 && a.gateway);
  const v6 = p.addresses.find((a) => a.family === 6 && a.gateway);
  const create = (step: string) => agent.call(
    've.create',
    {
      ctid,
      ostemplate: p.template,
      hostname: p.hostname,
      ips: p.addresses.map((a) => `${a.address}/${a.prefix}`),
      gateway: v4?.gateway ?? undefined,
      gateway6: v6?.gateway ?? undefined,
      nameservers: p.nameservers.slice(0, 3),
      passwordHash: p.rootPasswordHash ?? undefined,
      sshKeys: p.sshKeys.length ? p.sshKeys : undefined,
      onboot: true,
      start: true,
      ...agentLimits(p.limits),
    },
    taskCallOptions(ctx, step, [10, 100]),
  );
  // A template trusted from the recent-holdings cache may have gone since: ensure it and try once
  // more (a new step id: the first attempt's failure is journaled under its own).
  const res = await create('create').catch(async (e: unknown) => {
    if (!trusted || !isTemplateMissing(e)) throw e;
    forgetHeld(nodeId, p.template);
    await ensure();
    return create('create-after-template');
  });
  // One raw UPDATE (every create ends here); updatedAt as setPowerState writes it.
  if (veId) await ctx.prisma.$executeRaw`UPDATE "Ve" SET "state" = ${stateOf(res.status)}::"VeState", "lastError" = NULL, "updatedAt" = (${new Date().toISOString()}::timestamptz AT TIME ZONE 'UTC') WHERE "id" = ${veId}`;
  return { ctid, status: res.status, ips: res.ips };
}

// A create that failed on the node left nothing there (the agent unwinds): free the addresses.
// When the node could not be asked, the outcome is unknown: keep them until the reconciler knows.
async function createFailed(ctx: TaskContext, e: unknown) {
  const { veId } = ctx.task;
  if (!veId) return;
  const unknown = isAppError(e) && (e.code === 'NODE_OFFLINE' || e.data?.outcomeUnknown === true);
  const message = e instanceof Error ? e.message : String(e);
  await ctx.prisma.$transaction(async (tx) => {
    if (!unknown) await releaseVeAddresses(tx, veId);
    await tx.ve.updateMany({ where: { id: veId }, data: { state: 'error', lastError: unknown ? `create outcome unknown: ${message}` : message } });
  });
}

type PowerMethod = 've.start' | 've.stop' | 've.restart' | 've.suspend' | 've.resume';

function powerHandler(type: 've.start' | 've.stop' | 've.kill' | 've.restart' | 've.suspend' | 've.resume', method: PowerMethod, params: (ctx: TaskContext) => Record<string, unknown> = () => ({})) {
  registerTaskHandler({
    type,
    async run(ctx) {
      const { veId, nodeId, ctid } = target(ctx);
      const agent = await agentForNode(ctx.prisma, nodeId);
      const res = await agent.call(method, { ctid, ...params(ctx) } as never, taskCallOptions(ctx, method.slice(3)));
      // The panel just chose the power state: an open power-state drift is decided. One statement
      // (not a read of the drift and two writes): fleet-wide power actions run thousands of these.
      if (veId) await setPowerState(ctx.prisma, veId, stateOf(res.status));
      return res;
    },
    async onFailed(ctx) {
      await refreshState(ctx);
    },
  });
}

// After a failed action, ask the node what the VE really is, so the panel shows a known state.
async function refreshState(ctx: TaskContext) {
  const { veId, nodeId, ctid } = target(ctx);
  const agent = await agentForNode(ctx.prisma, nodeId);
  const st = await agent.call('ve.status', { ctid }, { timeoutMs: 10_000 });
  if (st.exists) await setState(ctx.prisma, veId, stateOf(st.status));
}

async function runDestroy(ctx: TaskContext) {
  const { veId, nodeId, ctid } = target(ctx);
  const agent = await agentForNode(ctx.prisma, nodeId);
  const st = await agent.call('ve.status', { ctid });
  if (st.exists) {
    if (st.status !== 'stopped') await agent.call('ve.stop', { ctid, fast: true }, taskCallOptions(ctx, 'stop', [0, 40]));
    await agent.call('ve.destroy', { ctid }, taskCallOptions(ctx, 'destroy', [40, 90]));
  } else {
    await ctx.log(`VE ${ctid} is not on the node any more; removing the record`);
  }
  const freed = veId ? await completeVeDestroy(ctx.prisma, veId) : { releasedAddresses: 0 };
  return { ctid, destroyed: true, ...freed };
}

async function runSet(ctx: TaskContext) {
  const { veId, nodeId, ctid } = target(ctx);
  const p = taskParams(ctx, 've.set');
  const agent = await agentForNode(ctx.prisma, nodeId);
  const { ips, gateway, nameservers, onboot } = p;
  const res = await agent.call(
    've.set',
    {
      ctid, ...agentLimits(p.limits ?? {}), ...(p.hostname ? { hostname: p.hostname } : {}), ...(p.passwordHash ? { passwordHash: p.passwordHash } : {}),
      ...(ips ? { ips, ...(gateway ? { gateway } : {}) } : {}), ...(nameservers ? { nameservers } : {}), ...(onboot !== undefined ? { onboot } : {}),
    } as never,
    taskCallOptions(ctx, 'set'),
  );
  if (veId && (p.hostname || onboot !== undefined)) await ctx.prisma.ve.update({ where: { id: veId }, data: { ...(p.hostname ? { hostname: p.hostname } : {}), ...(onboot !== undefined ? { onboot } : {}) } });
  // The node now has these fields as the panel sent them: whatever drift was recorded for them is gone.
  if (veId) await clearDrift(ctx.prisma, veId, [...Object.keys(p.limits ?? {}), ...(['hostname', 'ips', 'nameservers', 'onboot'] as const).filter((k) => p[k] !== undefined)]);
  if (veId && p.planId) await recordPlanChange(ctx, veId, p);
  const pending = (res as { pending?: string[] }).pending ?? [];
  if (pending.length) await ctx.log(`applied at the VE's next start: ${pending.join(', ')} (the node cannot change it while the VE runs)`, 'warn');
  return res;
}

// The node has the new limits: only now do the plan, overrides and limits on the row change.
async function recordPlanChange(ctx: TaskContext, veId: string, p: TaskParams<'ve.set'>) {
  await ctx.prisma.$transaction(async (tx) => {
    const row = await tx.ve.findUnique({ where: { id: veId }, select: { limits: true } });
    if (!row) return;
    const limits = { ...(row.limits as Record<string, number>), ...p.limits };
    await tx.ve.update({ where: { id: veId }, data: { planId: p.planId, overrides: p.overrides ?? {}, limits } });
  });
}

// A failed change leaves the row as it was (the agent unwinds what it had applied); say so, and re-read the power state.
async function setFailed(ctx: TaskContext, e: unknown) {
  if (taskParams(ctx, 've.set').planId) await ctx.log(`limits unchanged: the node refused the change (${e instanceof Error ? e.message : String(e)})`, 'warn');
  await refreshState(ctx);
}

let registered = false;

/** Registers every VE task type with the runner (idempotent). */
export function registerVeTaskHandlers(): void {
  if (registered) return;
  registered = true;
  registerTaskHandler({ type: 've.create', run: runCreate, onFailed: createFailed });
  registerTaskHandler({ type: 've.destroy', run: runDestroy, onFailed: refreshState });
  registerTaskHandler({ type: 've.set', run: runSet, onFailed: setFailed });
  powerHandler('ve.start', 've.start');
  powerHandler('ve.stop', 've.stop', (ctx) => ({ timeoutSec: taskParams(ctx, 've.stop').timeoutSec }));
  powerHandler('ve.kill', 've.stop', () => ({ fast: true }));
  powerHandler('ve.restart', 've.restart');
  powerHandler('ve.suspend', 've.suspend');
  powerHandler('ve.resume', 've.resume');
  registerSuspensionTasks();
  registerAddressTasks();
  registerSshKeyTasks();
}
