// ve.backup.create: point-in-time copy under the VE lock, then restic backup of its tree while the VE runs.
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ParamsOf, ResultOf } from '@/agents/protocol';
import type { HandlerContext } from '../daemon/types';
import { readVe } from '../lxc/ve-store';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { loadHashIndex, saveHashIndex, writeManifest, type HashIndex, type ManifestText } from './manifest';
import { pointInTimeCopy, type PitCopy } from './pit';
import { withRepo, type RepoAccess } from './repo';
import { restic } from './restic';
import { backupTags, findBackup, listBackups, MANIFEST_NAME, TREE_NAME, TREE_TAG } from './snapshots';
import { copyRoot, Work } from './work';

type Params = ParamsOf<'ve.backup.create'>;
type Result = ResultOf<'ve.backup.create'>;

/** The copy, made while holding the VE's lock (the long upload afterwards does not hold it). */
async function copyLocked(ctx: HandlerContext, ctid: number, dst: string): Promise<PitCopy> {
  const lock = ctx.tryLockVe?.(ctid);
  if (lock && !lock.ok) throw new VeError('VE_LOCKED', `VE ${ctid} is busy with '${lock.holder.method}' (op ${lock.holder.opId})`, { ve: ctid, ...lock.holder });
  try {
    await readVe(ctx.vzroot, ctid);
    return await pointInTimeCopy(ctx.vzroot, ctid, dst);
  } finally {
    if (lock?.ok) lock.release();
  }
}

/** Attaches the copy read-only and mounts it without replaying its journal (it was taken frozen). */
async function mountCopy(image: string, mount: string): Promise<void> {
  await mkdir(mount, { mode: 0o700 });
  const dev = (await run('losetup', ['--find', '--show', '--read-only', image])).stdout.trim();
  await run('mount', ['-t', 'ext4', '-o', 'ro,noload,nodev,nosuid,noexec', dev, mount]);
}

interface Summary { snapshot_id?: string; data_added?: number; total_bytes_processed?: number; files_new?: number; files_changed?: number; files_unmodified?: number }

async function upload(ctx: HandlerContext, repo: RepoAccess, work: Work, tags: string[], parent: string | undefined, targets: string[]): Promise<Summary> {
  let summary: Summary = {};
  const args = ['backup', '--json', '--host', os.hostname(), '--tag', tags.join(','), ...(parent ? ['--parent', parent] : []), ...targets];
  await restic(repo, args, 'backing up', {
    cwd: work.dir, signal: ctx.signal, timeoutMs: 24 * 3600_000,
    onJson: (m) => {
      if (m.message_type === 'summary') summary = m as Summary;
      else if (m.message_type === 'status' && typeof m.percent_done === 'number') ctx.progress(20 + 78 * m.percent_done, 'uploading');
    },
  });
  if (!summary.snapshot_id) throw new VeError('INTERNAL', 'restic backup finished without naming its snapshot');
  return summary;
}

/** Both or the first failure, once both have stopped reading the mounted copy. */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/**
 * Stores the copy's tree and its manifest in one restic snapshot. Incremental (a hash index from
 * the last backup): the manifest reads only changed files, then one restic run. First backup:
 * every file must be read by both, so restic stores the tree while the manifest is hashed (one
 * pass over the disk, the page cache serves the other), then a metadata-only run on top of that
 * snapshot adds the manifest; the tree-only snapshot is then dropped (best effort: it shares all data).
 */
async function treeAndManifest(ctx: HandlerContext, repo: RepoAccess, work: Work, parent: string | undefined, tagsFor: (digest: string) => string[]) {
  const ctid = work.state.ctid;
  const known = await loadHashIndex(ctx.vzroot, ctid);
  const fresh: HashIndex = new Map();
  const mount = path.join(work.dir, TREE_NAME);
  const hash = () => writeManifest(mount, path.join(work.dir, MANIFEST_NAME), known, fresh);
  let first: Summary | undefined;
  let m: ManifestText;
  if (known.size) m = await hash();
  else [first, m] = await both(upload(ctx, repo, work, [TREE_TAG, `ctid:${ctid}`], parent, [TREE_NAME]), hash());
  const s = await upload(ctx, repo, work, tagsFor(m.digest), first?.snapshot_id ?? parent, [TREE_NAME, MANIFEST_NAME]);
  await saveHashIndex(ctx.vzroot, ctid, fresh);
  if (first?.snapshot_id) {
    await restic(repo, ['forget', first.snapshot_id], 'dropping the tree-only snapshot', { timeoutMs: 300_000 })
      .catch((e: unknown) => ctx.log(`tree-only snapshot ${first!.snapshot_id} kept for now (${(e as Error).message}); ve.backup.forget removes it`));
  }
  return { m, s, first };
}

export async function backupVe(p: Params, ctx: HandlerContext): Promise<Result> {
  const t0 = Date.now();
  return withRepo(ctx.vzroot, p.repo, async (repo) => {
    // The repository must answer before the VE is touched: an unreachable or locked-out target never freezes it.
    ctx.progress(2, `opening ${repo.label}`);
    const parent = (await listBackups(repo, { ctid: p.ctid })).pop()?.id;
    const work = await new Work(ctx.vzroot, 'backup', p.ctid).create();
    try {
      const image = path.join(copyRoot(ctx.vzroot), `${work.id}.img`);
      const mount = path.join(work.dir, TREE_NAME);
      await work.save({ image, mount });
      const pit = await copyLocked(ctx, p.ctid, image);
      ctx.progress(10, `point-in-time copy (${pit.copyMode}) taken; the VE was paused ${pit.pauseMs} ms`);
      await mountCopy(image, mount);
      const t = Date.now();
      const { m, s, first } = await treeAndManifest(ctx, repo, work, parent, (digest) => [...backupTags(p.ctid, p.veId), `manifest:${digest}`, ...(p.tags ?? [])]);
      ctx.log(`stored in ${Date.now() - t} ms; manifest: ${m.files} files, ${m.hashed} read (the rest unchanged since the last backup)`);
      const snap = await findBackup(repo, s.snapshot_id!);
      ctx.progress(100, `backup ${snap.shortId} stored`);
      return {
        ctid: p.ctid, snapshotId: snap.id, shortId: snap.shortId, ...(parent ? { parentId: parent } : {}), time: snap.time,
        bytesAdded: (first?.data_added ?? 0) + (s.data_added ?? 0), bytesProcessed: (first ?? s).total_bytes_processed ?? 0,
        filesNew: (first ?? s).files_new ?? 0, filesChanged: (first ?? s).files_changed ?? 0, filesUnmodified: (first ?? s).files_unmodified ?? 0,
        manifestDigest: m.digest, manifestFiles: m.files, pauseMs: pit.pauseMs, copyMode: pit.copyMode, ms: Date.now() - t0,
      };
    } finally {
      await work.cleanup();
    }
  });
}
