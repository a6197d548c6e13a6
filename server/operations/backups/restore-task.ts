// Task "backup.restore": the node rebuilds the VE's disk from the backup, checks it against the
// manifest and swaps it in at once (old data or new, never a mix); the VE keeps ctid, addresses, limits.
import type { VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { agentForNode, taskCallOptions } from '@/server/operations/ve/agent';
import { repoFailure } from './create-task';
import { isTransientRepoError, repoSpecOf } from './repo';

function target(ctx: TaskContext) {
  const { veId, nodeId, ctid } = ctx.task;
  if (!veId || !nodeId || ctid == null) throw new AppError('INTERNAL', `task ${ctx.task.id} names no VE`);
  return { veId, nodeId, ctid };
}

async function run(ctx: TaskContext) {
  const p = taskParams(ctx, 'backup.restore');
  const { veId, nodeId, ctid } = target(ctx);
  const b = await ctx.prisma.backup.findUnique({ where: { id: p.backupId }, include: { storage: true } });
  if (!b?.resticId || !b.manifestDigest) throw new AppError('UNPROCESSABLE', `backup ${p.backupId} is not complete`);
  const ve = await ctx.prisma.ve.findUnique({ where: { id: veId }, select: { state: true } });
  if (!ve) throw new AppError('NOT_FOUND', `VE ${ctid} no longer exists`);
  // A new VE's create step failed: there is nothing to restore into.
  if (ve.state === 'error' || ve.state === 'creating') throw new AppError('UNPROCESSABLE', `VE ${ctid} is ${ve.state}; restore needs a created VE`);
  // A restore into a new VE was queued while it was created: it shows restoring from here.
  if (ve.state !== 'restoring') await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state: 'restoring' } });
  const agent = await agentForNode(ctx.prisma, nodeId);
  await ctx.log(`restoring backup ${b.resticId.slice(0, 8)} of VE ${b.ctid} into VE ${ctid}`);
  let res;
  try {
    res = await agent.call('ve.backup.restore', { ctid, repo: repoSpecOf(b.storage), snapshotId: b.resticId, ...(p.start !== undefined ? { start: p.start } : {}) }, taskCallOptions(ctx, `restore-${ctx.attempt}`));
  } catch (e) {
    throw repoFailure(b.storage, e);
  }
  if (res.manifestDigest !== b.manifestDigest) {
    // The node restored from another manifest than the one recorded: say so, loudly (data is in place).
    await ctx.prisma.backup.update({ where: { id: b.id }, data: { verifiedAt: new Date(), verifyError: `manifest ${res.manifestDigest} differs from the recorded ${b.manifestDigest}` } });
    throw new AppError('UNPROCESSABLE', `restored tree's manifest ${res.manifestDigest} is not the backup's ${b.manifestDigest}`);
  }
  await ctx.prisma.backup.update({ where: { id: b.id }, data: { verifiedAt: new Date(), verifyError: null } });
  const state = settled(p.previousState, res.status);
  await ctx.prisma.ve.updateMany({ where: { id: veId }, data: { state, lastError: null } });
  await ctx.log(`restored and verified ${res.verifiedFiles} files (${res.bytes} bytes) against the manifest in ${Math.round(res.ms)} ms; VE ${res.status}`);
  return { backupId: b.id, ctid, verifiedFiles: res.verifiedFiles, manifestDigest: res.manifestDigest, status: res.status };
}

/**
 * The state a finished restore leaves: a suspension outlives it (billing's, in either mode: the agent
 * keeps a stopped VE stopped and a running one running); otherwise the power state the node reports.
 */
function settled(previous: VeState | undefined, status: string): VeState {
  if (previous === 'suspended') return 'suspended';
  return status === 'running' || status === 'starting' ? 'running' : 'stopped';
}

// The agent swaps the disk in one step, so a failed restore leaves the previous data: re-read the power
// state. A node that does not answer leaves the state from before the request (the reconciler checks it).
async function onFailed(ctx: TaskContext, e: unknown) {
  const { veId, nodeId, ctid } = target(ctx);
  const p = taskParams(ctx, 'backup.restore');
  let state: VeState = p.previousState && p.previousState !== 'restoring' ? p.previousState : 'error';
  try {
    const agent = await agentForNode(ctx.prisma, nodeId);
    const st = await agent.call('ve.status', { ctid }, { timeoutMs: 10_000 });
    if (st.exists) state = st.status === 'suspended' ? 'suspended' : settled(p.previousState, st.status);
  } catch {
    /* node unreachable: the state from before the request */
  }
  const message = e instanceof Error ? e.message : String(e);
  await ctx.prisma.ve.updateMany({ where: { id: veId, state: 'restoring' }, data: { state, lastError: `restore failed: ${message}`.slice(0, 2000) } });
}

export function registerBackupRestoreTask(): void {
  registerTaskHandler({ type: 'backup.restore', run, onFailed, retryable: isTransientRepoError });
}
