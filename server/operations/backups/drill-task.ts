// Task "backup.drill": restore a backup (a random recent one unless named) into a throwaway VE on a
// node, let the agent check the rebuilt tree against the manifest, compare the manifest digest with
// the recorded one, record the outcome on the backup, and remove the throwaway VE whatever happened.
import { randomInt } from 'node:crypto';
import type { Backup, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import type { AgentClient } from '@/server/nodes/client';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { agentForNode, taskCallOptions } from '@/server/operations/ve/agent';
import { agentLimits } from '@/server/operations/ve/limits';
import { ensureTemplateOnNode } from '@/server/operations/ve/templates';
import { allocateCtid } from '@/server/services/ves/ctid';
import { nodeForStorage } from './storage-tasks';
import { repoSpecOf } from './repo';

const RECENT_MS = 30 * 24 * 3600_000;

async function pick(prisma: PrismaClient, backupId?: string): Promise<Backup> {
  if (backupId) {
    const b = await prisma.backup.findUnique({ where: { id: backupId } });
    if (!b?.resticId) throw new AppError('UNPROCESSABLE', `backup ${backupId} is not a completed backup`);
    return b;
  }
  const where = { state: 'completed' as const, resticId: { not: null }, createdAt: { gte: new Date(Date.now() - RECENT_MS) } };
  const n = await prisma.backup.count({ where });
  if (!n) throw new AppError('UNPROCESSABLE', 'no completed backup in the last 30 days to drill');
  return (await prisma.backup.findFirst({ where, orderBy: { id: 'asc' }, skip: randomInt(n) }))!;
}

// The throwaway VE: no addresses, not started at boot, sized like the backed-up VE.
async function throwawayLimits(prisma: PrismaClient, b: Backup) {
  const ve = b.veId ? await prisma.ve.findUnique({ where: { id: b.veId }, select: { limits: true } }) : null;
  const l = (ve?.limits ?? {}) as { diskspace?: number; diskinodes?: number };
  return agentLimits({ ram: 256, diskspace: l.diskspace ?? 2048, ...(l.diskinodes ? { diskinodes: l.diskinodes } : {}) });
}

async function removeThrowaway(agent: AgentClient, ctid: number, ctx: TaskContext) {
  try {
    const st = await agent.call('ve.status', { ctid });
    if (!st.exists) return;
    if (st.status !== 'stopped') await agent.call('ve.stop', { ctid, fast: true }, { opId: `${ctx.opId}:drill-stop-${ctx.attempt}` });
    await agent.call('ve.destroy', { ctid }, { opId: `${ctx.opId}:drill-destroy-${ctx.attempt}` });
  } catch (e) {
    await ctx.log(`could not remove throwaway VE ${ctid}: ${(e as Error).message}`, 'error');
  }
}

async function run(ctx: TaskContext) {
  const b = await pick(ctx.prisma, taskParams(ctx, 'backup.drill').backupId);
  const storage = await ctx.prisma.backupStorage.findUniqueOrThrow({ where: { id: b.storageId } });
  const template = b.templateId ? await ctx.prisma.template.findUnique({ where: { id: b.templateId }, select: { name: true } }) : null;
  if (!template) throw new AppError('UNPROCESSABLE', `backup ${b.id} records no template to build the throwaway VE from`);
  const ve = b.veId ? await ctx.prisma.ve.findUnique({ where: { id: b.veId }, select: { nodeId: true } }) : null;
  const agent = await agentForNode(ctx.prisma, await nodeForStorage(ctx.prisma, ve?.nodeId));
  await ensureTemplateOnNode(agent, template.name, ctx);
  // A CTID from the panel's counter (never handed out again), so the throwaway VE cannot collide.
  const ctid = await ctx.prisma.$transaction((tx) => allocateCtid(tx));
  await ctx.log(`drill: restoring backup ${b.resticId!.slice(0, 8)} of VE ${b.ctid} into throwaway VE ${ctid}`);
  const started = Date.now();
  try {
    await agent.call('ve.create', { ctid, ostemplate: template.name, hostname: `drill-${ctid}`, onboot: false, start: false, ...(await throwawayLimits(ctx.prisma, b)) }, taskCallOptions(ctx, `drill-create-${ctx.attempt}`, [0, 20]));
    const r = await agent.call('ve.backup.restore', { ctid, repo: repoSpecOf(storage), snapshotId: b.resticId!, start: false }, taskCallOptions(ctx, `drill-restore-${ctx.attempt}`, [20, 95]));
    const same = r.manifestDigest === b.manifestDigest;
    const verifyError = same ? null : `manifest ${r.manifestDigest} differs from the recorded ${b.manifestDigest}`;
    await ctx.prisma.backup.update({ where: { id: b.id }, data: { verifiedAt: new Date(), verifyError } });
    const report = { backupId: b.id, ctid: b.ctid, throwawayCtid: ctid, ok: same, verifiedFiles: r.verifiedFiles, bytes: r.bytes, manifestDigest: r.manifestDigest, ms: Date.now() - started };
    await ctx.log(`drill ${same ? 'passed' : 'FAILED'}: ${r.verifiedFiles} files (${r.bytes} bytes) checked against the manifest in ${report.ms} ms`, same ? 'info' : 'error');
    if (!same) throw new AppError('UNPROCESSABLE', `restore drill of backup ${b.id}: ${verifyError}`, report);
    return report;
  } catch (e) {
    if ((e as AppError).data?.agentCode === 'VERIFY_FAILED') await ctx.prisma.backup.update({ where: { id: b.id }, data: { verifiedAt: new Date(), verifyError: (e as Error).message } });
    throw e;
  } finally {
    await removeThrowaway(agent, ctid, ctx);
  }
}

export function registerDrillTask(): void {
  registerTaskHandler({ type: 'backup.drill', run });
}
