// What changed in a VE root since the first copy began, so the final copy in the pause sends that
// list (rsync --files-from) instead of letting rsync rescan the whole tree on both nodes (issue 15).
//
// The record is the kernel's own: every change to an inode (write, truncate, chmod, chown, xattr,
// link, rename, create, unlink in a directory) moves its ctime to "now", and nobody can set ctime
// back. So an entry whose mtime and ctime are both older than the baseline taken before the first
// copy is the one that copy read. Writes through a shared mapping move the times only on the first
// write fault of a clean page, so the baseline flushes the root (syncfs) right after it is taken:
// every page written after that faults again and moves the times. inotify/fanotify were not used:
// neither reports writes through a mapping, and Node's fs.watch drops the queue-overflow event.
// When the baseline cannot be trusted (none: the agent restarted; the wall clock moved against the
// monotonic one; the walk saw an entry change or leave the filesystem; too much changed to be worth
// a list) the caller falls back to the full rescan. Either way the verify compares full manifests.
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../sys/exec';
import type { Walked } from './manifest';

/** Entries changed this close to the baseline count as changed: the file times come from a coarse clock. */
export const CLOCK_SLACK_MS = 1000;
/** The wall clock may drift this much against the monotonic one between the baseline and the pause. */
const MAX_CLOCK_DRIFT_MS = 500;
/** Over this share of the tree (or this many entries), a list saves nothing over the rescan; a few always go as a list. */
const MAX_SHARE = 0.25;
const MAX_ENTRIES = 50_000;
const FEW = 16;

interface Baseline { wallMs: number; monoMs: number; dirs: Map<string, bigint> }

const baselines = new Map<string, Baseline>();

/** The inode of every directory under `root` (same filesystem), by relative path ('' = root). */
async function directoryInodes(root: string): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const dev = (await lstat(root, { bigint: true })).dev;
  const walk = async (rel: string): Promise<void> => {
    const st = await lstat(path.join(root, rel), { bigint: true }).catch(() => undefined);
    if (!st?.isDirectory() || st.dev !== dev) return;
    out.set(rel, st.ino);
    const kids = await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
    await Promise.all(kids.filter((d) => d.isDirectory()).map((d) => walk(rel ? `${rel}/${d.name}` : d.name)));
  };
  await walk('');
  return out;
}

/**
 * Takes the baseline of `root` before its first copy: the time, a flush of its dirty pages, and
 * where each directory is (a directory found elsewhere later was moved or made since, and is sent
 * whole). Replaces an older baseline of the same root.
 */
export async function takeBaseline(root: string): Promise<void> {
  const wallMs = Date.now();
  const monoMs = performance.now();
  baselines.delete(root);
  await run('sync', ['-f', root], { timeoutMs: 600_000 });
  baselines.set(root, { wallMs, monoMs, dirs: await directoryInodes(root) });
}

/** Forget the baseline of a root (its migration ended either way). */
export const dropBaseline = (root: string): void => {
  baselines.delete(root);
};

export type ChangeSelection = { list: string[]; entries: number } | { reason: string };

/**
 * The rsync --files-from list (relative names, no -r) that brings a copy taken since the baseline
 * up to the frozen tree `w`: each changed non-directory by name; each changed directory, and each
 * directory that was not at its path at the baseline, as `dir/` (its own entries are compared and
 * extra ones deleted on the target). Or why the full rescan must run instead.
 */
export function changesSince(root: string, w: Walked): ChangeSelection {
  const b = baselines.get(root);
  if (!b) return { reason: 'no change baseline from the first pass (the agent restarted since?)' };
  const drift = Date.now() - b.wallMs - (performance.now() - b.monoMs);
  if (Math.abs(drift) > MAX_CLOCK_DRIFT_MS) return { reason: `the wall clock moved ${Math.round(drift)} ms against the monotonic clock since the first pass` };
  if (w.unsettled > 0) return { reason: `${w.unsettled} entries changed or left the filesystem during the walk` };
  const sinceNs = BigInt(b.wallMs - CLOCK_SLACK_MS) * 1_000_000n;
  const list: string[] = [];
  for (const e of w.entries) {
    // A directory moved or made since the baseline: its entries kept their times, so all of it goes.
    // Every directory below it has a new path too (or the same path and inode, then it is in place),
    // so listing each such directory as `dir/` covers the whole subtree.
    const moved = e.dir && b.dirs.get(e.rel) !== e.ino;
    if (moved || e.changedNs >= sinceNs) list.push(e.dir ? (e.rel ? `${e.rel}/` : '.') : e.rel);
  }
  if (list.length > MAX_ENTRIES || (list.length > FEW && list.length > w.entries.length * MAX_SHARE)) return { reason: `${list.length} of ${w.entries.length} entries changed: a full rescan costs no more` };
  return { list: list.sort(), entries: w.entries.length };
}
