// ve.backup.restore: a fresh image built from a backup, checked against its manifest, then swapped in.
import { readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { ParamsOf, ResultOf } from '@/agents/protocol';
import type { HandlerContext } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { hostVeFiles } from '../lxc/rootfs-files';
import { writeHostname, writeResolvConf } from '../lxc/ve-files';
import { readVe } from '../lxc/ve-store';
import { makeExt4, mountImage, unmountImage } from '../storage/image';
import { VeError, isVeError } from '../sys/errors';
import { vePaths } from '../sys/paths';
import { Undo } from '../sys/undo';
import { manifestDiff, manifestOf } from './manifest';
import { withRepo, type RepoAccess } from './repo';
import { restic } from './restic';
import { findBackup, MANIFEST_NAME, TREE_NAME } from './snapshots';
import { swapImage } from './swap';
import { Work } from './work';

type Params = ParamsOf<'ve.backup.restore'>;
type Result = ResultOf<'ve.backup.restore'>;

/**
 * restic restores the whole snapshot (/ve and the manifest) into a folder on the new filesystem;
 * its /ve entries then move up to the filesystem's top (renames on one filesystem, no copying).
 * Returns the manifest text stored with the backup.
 */
async function restoreTree(repo: RepoAccess, snapshotId: string, mount: string, stageName: string, signal: AbortSignal): Promise<string> {
  const stage = path.join(mount, stageName);
  await restic(repo, ['restore', snapshotId, '--target', stage], 'restoring', { signal, timeoutMs: 24 * 3600_000 }).catch((e: unknown) => {
    if (isVeError(e) && e.code === 'REPO_FULL') throw new VeError('NO_DISK_SPACE', `the backup does not fit the VE's disk: ${e.message}`);
    throw e;
  });
  const tree = path.join(stage, TREE_NAME);
  for (const name of await readdir(tree)) {
    if (name === 'lost+found') await rmdir(path.join(mount, name)).catch(() => undefined); // mkfs made an empty one
    await rename(path.join(tree, name), path.join(mount, name));
  }
  const manifest = await readFile(path.join(stage, MANIFEST_NAME), 'utf8');
  await rm(stage, { recursive: true, force: true });
  return manifest;
}

export async function restoreVe(p: Params, ctx: HandlerContext): Promise<Result> {
  const t0 = Date.now();
  const rt = runtimeOf(ctx);
  const conf = await readVe(ctx.vzroot, p.ctid);
  const vp = vePaths(ctx.vzroot, p.ctid);
  return withRepo(ctx.vzroot, p.repo, async (repo) => {
    const snap = await findBackup(repo, p.snapshotId);
    const work = await new Work(ctx.vzroot, 'restore', p.ctid).create();
    try {
      const fresh = `${vp.image}.restore-${work.id}`;
      const mount = path.join(work.dir, 'new');
      await work.save({ image: fresh, mount, target: vp.image, phase: 'building' });
      ctx.progress(5, `new ${conf.diskspace}-byte filesystem`);
      await makeExt4(fresh, conf.diskspace, conf.diskinodes);
      await mountImage(fresh, mount, new Undo());
      ctx.progress(10, `restoring backup ${snap.shortId}`);
      const want = await restoreTree(repo, snap.id, mount, `.vzrestore-${work.id}`, ctx.signal);
      ctx.progress(70, 'verifying against the manifest');
      const got = await manifestOf(mount);
      if (got.text !== want) {
        const diff = manifestDiff(want, got.text);
        throw new VeError('VERIFY_FAILED', `the restored files differ from the backup's manifest: ${diff.join(', ')}`, { snapshotId: snap.id, diff });
      }
      // Another VE's backup: this VE keeps its own name and resolver (addresses come from its conf at start).
      if (snap.ctid !== p.ctid) {
        const files = hostVeFiles(mount);
        await writeHostname(files, conf.hostname);
        await writeResolvConf(files, conf.nameservers, conf.searchdomain);
      }
      await unmountImage(fresh, mount);
      const swapped = await swapImage(rt, p.ctid, fresh, work, ctx.undo, p.start);
      ctx.progress(100, `restored ${got.files} files from ${snap.shortId}`);
      return {
        ctid: p.ctid, snapshotId: snap.id, manifestDigest: got.digest, verifiedFiles: got.files, bytes: got.bytes,
        status: swapped.status, ms: Date.now() - t0,
      };
    } finally {
      await work.cleanup();
    }
  }, { oneConnection: true }); // the lookup and restic's runs share one SSH connection
}
