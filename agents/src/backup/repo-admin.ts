// backup.repo.init / check and ve.backup.forget: the repository-wide verbs.
import type { ParamsOf, ResultOf } from '@/agents/protocol';
import { VeError, isVeError } from '../sys/errors';
import type { RepoAccess } from './repo';
import { restic } from './restic';
import { filterTag, listBackups, TREE_TAG } from './snapshots';

const repoId = async (repo: RepoAccess): Promise<string> =>
  String((JSON.parse((await restic(repo, ['cat', 'config'], 'opening the repository', { timeoutMs: 120_000 })).stdout) as { id?: string }).id ?? '');

export async function initRepo(repo: RepoAccess): Promise<ResultOf<'backup.repo.init'>> {
  const t0 = Date.now();
  const r = await restic(repo, ['init'], 'creating the repository', { timeoutMs: 300_000 }).catch((e: unknown) => {
    // an existing repository is fine when this password opens it (repoId below checks)
    if (isVeError(e) && /already (exists|initialized)/i.test(e.message)) return undefined;
    throw e;
  });
  return { created: !!r, repoId: await repoId(repo), ms: Date.now() - t0 };
}

export async function checkRepo(repo: RepoAccess, readDataPercent: number): Promise<ResultOf<'backup.repo.check'>> {
  const t0 = Date.now();
  const id = await repoId(repo);
  const snapshots = (await listBackups(repo)).length;
  // locks of a killed agent's restic are stale (dead pid on this host): drop them so check can run
  await restic(repo, ['unlock'], 'clearing stale locks', { timeoutMs: 300_000 });
  const args = ['check', ...(readDataPercent > 0 ? [`--read-data-subset=${readDataPercent}%`] : [])];
  try {
    const r = await restic(repo, args, 'checking the repository', { timeoutMs: 24 * 3600_000 });
    return { ok: true, snapshots, repoId: id, message: r.stdout.trim().split('\n').pop() ?? 'no errors were found', ms: Date.now() - t0 };
  } catch (e) {
    if (isVeError(e) && e.code === 'INTERNAL') return { ok: false, snapshots, repoId: id, message: e.message, ms: Date.now() - t0 };
    throw e;
  }
}

type ForgetParams = ParamsOf<'ve.backup.forget'>;

/** Tree-only passes of first backups (create.ts): kept an hour, so a backup between its two runs keeps its own. */
async function dropTreeSnapshots(repo: RepoAccess, ctid?: number): Promise<string[]> {
  const r = await restic(repo, ['snapshots', '--json', '--tag', [TREE_TAG, ...(ctid !== undefined ? [`ctid:${ctid}`] : [])].join(',')], 'listing tree-only passes');
  // an hour old: a first backup still between its two passes must keep its own
  const old = ((JSON.parse(r.stdout || '[]') as { id: string; time: string }[] | null) ?? []).filter((s) => Date.parse(s.time) < Date.now() - 3600_000).map((s) => s.id);
  if (old.length) await restic(repo, ['forget', ...old], 'forgetting tree-only passes', { timeoutMs: 3600_000 });
  return old;
}

/** Forget by ids (only among the filter's backups when a VE is named) or by per-VE retention; then prune. */
export async function forgetBackups(repo: RepoAccess, p: ForgetParams): Promise<ResultOf<'ve.backup.forget'>> {
  const t0 = Date.now();
  await restic(repo, ['unlock'], 'clearing stale locks', { timeoutMs: 300_000 });
  const mine = await listBackups(repo, { ctid: p.ctid, veId: p.veId });
  let removed: string[];
  if (p.snapshotIds) {
    const ids = p.snapshotIds.map((s) => {
      const hit = mine.find((b) => b.id.startsWith(s));
      if (!hit) throw new VeError('SNAPSHOT_NOT_FOUND', `backup ${s} is not in the repository${p.ctid ? ` for VE ${p.ctid}` : ''}`, { snapshotId: s });
      return hit.id;
    });
    await restic(repo, ['forget', ...ids], 'forgetting backups', { timeoutMs: 3600_000 });
    removed = ids;
  } else {
    const keep = (flag: string, n?: number) => (n === undefined ? [] : [flag, String(n)]);
    // one group: the filter already names one VE, and each backup's tags differ (manifest digest)
    const r = await restic(repo, [
      'forget', '--json', '--group-by', '', '--tag', filterTag(p),
      ...keep('--keep-last', p.keepLast), ...keep('--keep-daily', p.keepDaily), ...keep('--keep-weekly', p.keepWeekly), ...keep('--keep-monthly', p.keepMonthly),
    ], 'forgetting backups', { timeoutMs: 3600_000 });
    const groups = (JSON.parse(r.stdout || '[]') as { remove?: { id: string }[] | null }[] | null) ?? [];
    removed = groups.flatMap((g) => (g.remove ?? []).map((s) => s.id));
  }
  removed.push(...(await dropTreeSnapshots(repo, p.ctid)));
  if (p.prune && removed.length) await restic(repo, ['prune'], 'pruning', { timeoutMs: 24 * 3600_000 });
  const gone = new Set(removed);
  return { removed, kept: mine.filter((b) => !gone.has(b.id)).map((b) => b.id), pruned: p.prune && removed.length > 0, ms: Date.now() - t0 };
}
