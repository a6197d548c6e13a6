// Tasks on a whole storage, run one at a time per storage (queue storage:<id>): check (and first-time
// init) of the repository, and forget/prune of backups by id or by a VE's retention policy.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { registerTaskHandler, taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import { agentForNode, taskCallOptions } from '@/server/operations/ve/agent';
import { repoFailure } from './create-task';
import { describeRepoError, isTransientRepoError, loadStorage, repoSpecOf } from './repo';

/** A node that runs restic for storage-wide work: the local node first, else any online one. */
export async function nodeForStorage(prisma: PrismaClient, preferred?: string | null): Promise<string> {
  if (preferred) return preferred;
  const n = await prisma.node.findFirst({ where: { state: { not: 'offline' }, maintenance: false }, orderBy: [{ transport: 'asc' }, { createdAt: 'asc' }], select: { id: true } });
  if (!n) throw new AppError('NODE_OFFLINE', 'no node is online to reach the backup storage from');
  return n.id;
}

async function runCheck(ctx: TaskContext) {
  const p = taskParams(ctx, 'backup.storage.check');
  const s = await loadStorage(ctx.prisma, p.storageId);
  const nodeId = await nodeForStorage(ctx.prisma, ctx.task.nodeId);
  const agent = await agentForNode(ctx.prisma, nodeId);
  const repo = repoSpecOf(s);
  try {
    if (p.init) {
      const r = await agent.call('backup.repo.init', { repo }, taskCallOptions(ctx, `init-${ctx.attempt}`, [0, 40]));
      await ctx.log(r.created ? `created repository ${r.repoId}` : `repository ${r.repoId} was already there; the password opens it`);
    }
    const c = await agent.call('backup.repo.check', { repo }, { timeoutMs: 15 * 60_000 });
    await ctx.prisma.backupStorage.update({
      where: { id: s.id },
      data: { state: c.ok ? 'ok' : 'failed', lastCheckedAt: new Date(), lastCheckError: c.ok ? null : c.message, lastCheck: { snapshots: c.snapshots, repoId: c.repoId, nodeId, ms: Math.round(c.ms) } },
    });
    if (!c.ok) throw new AppError('UNPROCESSABLE', `storage ${s.name}: repository check failed: ${c.message}`);
    return { storageId: s.id, ok: true, snapshots: c.snapshots, repoId: c.repoId };
  } catch (e) {
    await ctx.prisma.backupStorage.update({ where: { id: s.id }, data: { state: 'failed', lastCheckedAt: new Date(), lastCheckError: describeRepoError(s, e) } });
    throw repoFailure(s, e);
  }
}

async function runForget(ctx: TaskContext) {
  const p = taskParams(ctx, 'backup.forget');
  const s = await loadStorage(ctx.prisma, p.storageId);
  const agent = await agentForNode(ctx.prisma, await nodeForStorage(ctx.prisma, null));
  const repo = repoSpecOf(s);
  const opts = taskCallOptions(ctx, `forget-${ctx.attempt}`);
  let removed: string[];
  try {
    if (p.backupIds) {
      const rows = await ctx.prisma.backup.findMany({ where: { id: { in: p.backupIds }, storageId: s.id } });
      const ids = rows.flatMap((r) => (r.resticId ? [r.resticId] : []));
      if (ids.length) await agent.call('ve.backup.forget', { repo, snapshotIds: ids, prune: true }, opts);
      // Rows without a restic snapshot (failed backups) have nothing in the repository to remove.
      await ctx.prisma.backup.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
      await ctx.log(`removed ${rows.length} backup(s) from storage ${s.name}`);
      return { removed: rows.map((r) => r.id) };
    }
    if (!p.veId) throw new AppError('INTERNAL', 'a retention run names its VE');
    const r = await agent.call('ve.backup.forget', { repo, veId: p.veId, keepDaily: p.keepDaily, keepWeekly: p.keepWeekly, keepMonthly: p.keepMonthly, prune: true }, opts);
    removed = r.removed;
  } catch (e) {
    throw repoFailure(s, e);
  }
  // restic names removed snapshots by full or short id: match both.
  const gone = await ctx.prisma.backup.findMany({ where: { storageId: s.id, veId: p.veId, resticId: { not: null } }, select: { id: true, resticId: true } });
  const ids = gone.filter((g) => removed.some((r) => g.resticId!.startsWith(r) || r.startsWith(g.resticId!))).map((g) => g.id);
  await ctx.prisma.backup.deleteMany({ where: { id: { in: ids } } });
  await ctx.log(`retention kept ${p.keepDaily} daily, ${p.keepWeekly} weekly, ${p.keepMonthly} monthly; removed ${ids.length} backup(s)`);
  return { removed: ids };
}

export function registerStorageTasks(): void {
  registerTaskHandler({ type: 'backup.storage.check', run: runCheck, retryable: isTransientRepoError });
  registerTaskHandler({ type: 'backup.forget', run: runForget, retryable: isTransientRepoError });
}
