// ve.backup.create: point-in-time copy under the VE lock, then its manifest and restic backup while the VE runs.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ParamsOf, ResultOf } from '@/agents/protocol';
import type { HandlerContext } from '../daemon/types';
import { readVe } from '../lxc/ve-store';
import { run } from '../sys/exec';
import { isVeError, VeError } from '../sys/errors';
import { loadLastBackup, saveLastBackup, writeManifest, type HashIndex, type LastBackup, type ManifestText } from './manifest';
import { pointInTimeCopy, type PitCopy } from './pit';
import { withRepo, type RepoAccess } from './repo';
import { fullSnapshotId, repoAnswers } from './repo-probe';
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

/** restic's --time: UTC to the second (restic reads it in TZ, which resticEnv sets to UTC). */
const resticTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

async function upload(ctx: HandlerContext, repo: RepoAccess, work: Work, tags: string[], parent: string | undefined, at: Date, targets: string[], signal = ctx.signal): Promise<Summary> {
  let summary: Summary = {};
  const args = ['backup', '--json', '--host', os.hostname(), '--time', resticTime(at), '--tag', tags.join(','), ...(parent ? ['--parent', parent] : []), ...targets];
  await restic(repo, args, 'backing up', {
    cwd: work.dir, signal, timeoutMs: 24 * 3600_000,
    onJson: (m) => {
      if (m.message_type === 'summary') summary = m as Summary;
      else if (m.message_type === 'status' && typeof m.percent_done === 'number') ctx.progress(20 + 78 * m.percent_done, 'uploading');
    },
  });
  if (!summary.snapshot_id) throw new VeError('INTERNAL', 'restic backup finished without naming its snapshot');
  return summary;
}

/**
 * The parent for restic (it then reads only files whose metadata changed): the snapshot this node
 * made last for the VE in this repository, else the newest listed one. A remembered parent that
 * was forgotten since makes restic refuse at once; the caller lists and tries again.
 */
interface Parent { id?: string; remembered: boolean }
async function parentOf(repo: RepoAccess, ctid: number, last: LastBackup): Promise<Parent> {
  if (last.snapshotId && last.repo === repo.label) return { id: last.snapshotId, remembered: true };
  return { id: (await listBackups(repo, { ctid })).pop()?.id, remembered: false };
}

/** CPU seconds of this process's reaped children (restic, cp, mount): /proc/self/stat cutime + cstime. */
function childCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[13]) + Number(x[14])) * 10;
}

/** Wall time per phase, with the agent's and its children's CPU, logged once: where a backup's time goes. */
class Phases {
  private t = Date.now();
  private own = process.cpuUsage();
  private kids = childCpuMs();
  readonly ms: Record<string, [number, number, number]> = {};
  mark(name: string): void {
    const n = Date.now();
    const own = process.cpuUsage(this.own);
    const kids = childCpuMs();
    const [w, o, k] = this.ms[name] ?? [0, 0, 0];
    // other calls running in the daemon meanwhile count too: an upper bound for this backup's own CPU
    this.ms[name] = [w + n - this.t, o + Math.round((own.user + own.system) / 1000), k + kids - this.kids];
    this.t = n;
    this.own = process.cpuUsage();
    this.kids = kids;
  }
  toString(): string { return Object.entries(this.ms).map(([k, [w, o, c]]) => `${k} ${w} ms (cpu agent ${o} ms, children ${c} ms)`).join(', '); }
}

/** Both results, or the first failure once both have stopped reading the mounted copy. */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/**
 * The tree and its manifest in one restic snapshot. With a hash index from the last backup only
 * changed files are read for the manifest: manifest first, then one restic run. Without one (a
 * first backup) both must read every file, so restic stores the tree while the manifest is hashed
 * (the page cache serves whichever reads second: the copy is read from disk once, and neither
 * waits for the other), then a run on top of that tree-only snapshot adds the manifest, reading
 * no file data again. The tree-only snapshot shares all its data, is never listed, and
 * ve.backup.forget drops it an hour later (repo-admin.ts).
 */
async function treeAndManifest(ctx: HandlerContext, repo: RepoAccess, work: Work, last: LastBackup, parentP: Promise<Parent>, tags: (digest: string) => string[], phases: Phases) {
  const fresh: HashIndex = new Map();
  const hash = () => writeManifest(path.join(work.dir, TREE_NAME), path.join(work.dir, MANIFEST_NAME), last.index, fresh);
  const at = new Date();
  let parent: Awaited<typeof parentP>;
  /** One run against the parent; a remembered parent forgotten since makes restic refuse at once: list and run again. */
  const store = async (tagList: string[], targets: string[], signal?: AbortSignal) => {
    parent = await parentP;
    try {
      return await upload(ctx, repo, work, tagList, parent.id, at, targets, signal);
    } catch (e) {
      if (!(parent.remembered && isVeError(e) && e.code === 'SNAPSHOT_NOT_FOUND')) throw e;
      ctx.log(`the last backup ${parent.id!.slice(0, 8)} is no longer in the repository; using the newest listed one as parent`);
      parent = await parentOf(repo, work.state.ctid, { index: last.index });
      return upload(ctx, repo, work, tagList, parent.id, at, targets, signal);
    }
  };
  let tree: Summary | undefined;
  let m: ManifestText;
  let s: Summary;
  if (last.index.size) {
    m = await hash();
    phases.mark('manifest');
    s = await store(tags(m.digest), [TREE_NAME, MANIFEST_NAME]);
  } else {
    const stop = new AbortController(); // a failed manifest stops restic's pass early
    const abort = () => stop.abort();
    ctx.signal.addEventListener('abort', abort, { once: true });
    try {
      // the manifest's failure first: restic's would only be the abort it caused
      [m, tree] = await both(hash().catch((e: unknown) => { abort(); throw e; }), store([TREE_TAG, `ctid:${work.state.ctid}`], [TREE_NAME], stop.signal));
    } finally {
      ctx.signal.removeEventListener('abort', abort);
    }
    phases.mark('tree+manifest');
    s = await upload(ctx, repo, work, tags(m.digest), tree.snapshot_id, at, [TREE_NAME, MANIFEST_NAME]);
  }
  phases.mark('restic');
  const id = (await fullSnapshotId(repo, s.snapshot_id!)) ?? (await findBackup(repo, s.snapshot_id!)).id;
  await saveLastBackup(ctx.vzroot, work.state.ctid, { index: fresh, repo: repo.label, snapshotId: id });
  phases.mark('record');
  // a first backup's counts are its tree pass's: the run adding the manifest finds every file unchanged
  return { m, s: tree ? { ...tree, data_added: (tree.data_added ?? 0) + (s.data_added ?? 0) } : s, id, parent: parent!.id, at };
}

/** One backup call's parts, handed from the repository check to the copy and the upload. */
interface Call { p: Params; ctx: HandlerContext; repo: RepoAccess; last: LastBackup; parentP: Promise<Parent>; phases: Phases; t0: number }

/** The copy, its mount, then the tree and manifest into the repository; the copy is gone when this ends. */
async function copyAndStore({ p, ctx, repo, last, parentP, phases, t0 }: Call): Promise<Result> {
  const work = await new Work(ctx.vzroot, 'backup', p.ctid).create();
  try {
    const image = path.join(copyRoot(ctx.vzroot), `${work.id}.img`);
    const mount = path.join(work.dir, TREE_NAME);
    await work.save({ image, mount });
    const pit = await copyLocked(ctx, p.ctid, image);
    ctx.progress(10, `point-in-time copy (${pit.copyMode}) taken; the VE was paused ${pit.pauseMs} ms`);
    phases.mark('copy');
    await mountCopy(image, mount);
    phases.mark('mount');
    const { m, s, id, parent, at } = await treeAndManifest(ctx, repo, work, last, parentP, (digest) => [...backupTags(p.ctid, p.veId), `manifest:${digest}`, ...(p.tags ?? [])], phases);
    ctx.log(`manifest: ${m.files} files, ${m.hashed} read (the rest unchanged since the last backup)`);
    ctx.progress(100, `backup ${id.slice(0, 8)} stored`);
    return {
      ctid: p.ctid, snapshotId: id, shortId: id.slice(0, 8), ...(parent ? { parentId: parent } : {}), time: at.toISOString().slice(0, 19) + 'Z',
      bytesAdded: s.data_added ?? 0, bytesProcessed: s.total_bytes_processed ?? 0,
      filesNew: s.files_new ?? 0, filesChanged: s.files_changed ?? 0, filesUnmodified: s.files_unmodified ?? 0,
      manifestDigest: m.digest, manifestFiles: m.files, pauseMs: pit.pauseMs, copyMode: pit.copyMode, ms: Date.now() - t0,
    };
  } finally {
    await parentP.catch(() => undefined); // no restic of this call outlives the copy it may read
    await work.cleanup();
    phases.mark('cleanup');
  }
}

export async function backupVe(p: Params, ctx: HandlerContext): Promise<Result> {
  const t0 = Date.now();
  const phases = new Phases();
  // One SSH connection for the whole call (sftp): the check, every restic run and the id lookup share it.
  return withRepo(ctx.vzroot, p.repo, async (repo) => {
    ctx.progress(2, `opening ${repo.label}`);
    const last = await loadLastBackup(ctx.vzroot, p.ctid);
    // Without a remembered parent restic lists the VE's backups meanwhile (check, copy, mount,
    // hashing): the tree pass needs the answer before it starts.
    const parentP = parentOf(repo, p.ctid, last);
    parentP.catch(() => undefined); // awaited by the upload, or below when the call fails before it
    try {
      // The repository must answer before the VE is touched: an unreachable target never freezes it.
      await repoAnswers(repo);
      phases.mark('check');
      return await copyAndStore({ p, ctx, repo, last, parentP, phases, t0 });
    } finally {
      await parentP.catch(() => undefined); // no restic of this call outlives it
      ctx.log(`phases: ${phases}`);
    }
  }, { oneConnection: true });
}
