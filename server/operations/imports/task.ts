// The ve.import task: the target node copies the OpenVZ VE's tree over SSH and creates it (agents/src/import).
import { AppError, isAppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { releaseVeAddresses } from '@/server/services/ippools/allocate';
import { agentForNode, taskCallOptions } from '../ve/agent';
import { agentLimits } from '../ve/limits';
import { importSsh } from './index';

function target(ctx: TaskContext) {
  const { veId, nodeId, ctid } = ctx.task;
  if (!veId || !nodeId || ctid == null) throw new AppError('INTERNAL', `task ${ctx.task.id} names no node or VE`);
  return { veId, nodeId, ctid };
}

async function runImport(ctx: TaskContext) {
  const { veId, nodeId, ctid } = target(ctx);
  const p = taskParams(ctx, 've.import');
  const { ssh } = await importSsh(ctx.prisma, p.sourceId);
  const agent = await agentForNode(ctx.prisma, nodeId);
  const v4 = p.addresses.find((a) => a.family === 4 && a.gateway);
  const v6 = p.addresses.find((a) => a.family === 6 && a.gateway);
  const res = await agent.call('ve.import', {
    ssh, conf: p.conf, ctid, ...(p.private ? { private: p.private } : {}),
    ips: p.addresses.map((a) => `${a.address}/${a.prefix}`), gateway: v4?.gateway ?? undefined, gateway6: v6?.gateway ?? undefined,
    limits: agentLimits(p.limits), ostemplate: p.template, start: p.start,
  }, { ...taskCallOptions(ctx, 'import', [0, 100]), timeoutMs: 12 * 3600_000 });
  const state = res.ve.status === 'running' || res.ve.status === 'starting' ? 'running' : 'stopped';
  await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state, lastError: null } });
  return { ctid, status: res.ve.status, notCarried: res.plan.notCarried.map((n) => n.param) };
}

// The node unwinds a failed import (nothing of it stays there): free the addresses, keep the row as the record.
async function importFailed(ctx: TaskContext, e: unknown) {
  const { veId } = ctx.task;
  if (!veId) return;
  const unknown = isAppError(e) && (e.code === 'NODE_OFFLINE' || e.data?.outcomeUnknown === true);
  const message = e instanceof Error ? e.message : String(e);
  await ctx.prisma.$transaction(async (tx) => {
    if (!unknown) await releaseVeAddresses(tx, veId);
    await tx.ve.updateMany({ where: { id: veId }, data: { state: 'error', lastError: unknown ? `import outcome unknown: ${message}` : `import failed: ${message}` } });
  });
}

let registered = false;
export function registerImportTasks(): void {
  if (registered) return;
  registered = true;
  registerTaskHandler({ type: 've.import', run: runImport, onFailed: importFailed });
}
