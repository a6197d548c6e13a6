// Checksum manifest of a VE root: one line per entry, sorted, hashed into one digest.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface Manifest { digest: string; entries: number; files: number; bytes: number; ms: number; hashed: number; lines?: string[] }

// Per-root content hashes from earlier runs, keyed by inode, size, mtime and ctime (ns). Any write
// moves ctime and nobody can set ctime back, so an unchanged key means unchanged content: the
// manifest taken during the pause only re-reads what changed since the warm-up run.
const cache = new Map<string, Map<string, { key: string; sum: string }>>();

/**
 * Racily clean entries, as git calls them: a write moves mtime/ctime before it copies its data
 * (a read in between sees the new key with old content), and writes through a shared mapping to
 * an already dirty page move no timestamp at all until writeback (syncfs) cleans the page. So a
 * hash is remembered only for a file whose last change is this much older than the run's start
 * (the syncfs before it, when flushed): anything later is read again next time.
 */
export const RACY_MS = 2000;

/** Entries of one directory examined at once. */
const WALK_SLICE = 64;

/** Forget cached hashes of a root (its migration ended). */
export const dropManifestCache = (root: string): void => {
  cache.delete(root);
  frozenWalks.delete(root);
};

/** Stands for a file that was no longer the one the walk saw: never cached, never equal to a real sum. */
const CHANGED = 'changed-while-read';
// O_NOFOLLOW: a file swapped for a symlink (to /dev/zero, to the host) is not followed. O_NONBLOCK: a
// FIFO opens at once instead of waiting for a writer forever. O_NOCTTY: no tty is ever acquired.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * sha256 of the regular file `file` that the walk saw as inode `ino` of `size` bytes. The root may
 * belong to a running VE whose root swaps files while we read, so: no symlink is followed, only
 * that same regular inode is read, and never more than `size` bytes. Anything else is CHANGED.
 */
async function hashFile(file: string, want: { dev: bigint; ino: bigint; size: bigint }): Promise<string> {
  const fh = await open(file, OPEN_FLAGS).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ELOOP' || e.code === 'ENOENT' || e.code === 'ENXIO') return undefined;
    throw e;
  });
  if (!fh) return CHANGED;
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile() || st.dev !== want.dev || st.ino !== want.ino) return CHANGED;
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, Number(want.size))));
    for (let left = Number(want.size); left > 0;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), null);
      if (bytesRead === 0) return CHANGED; // shrank under us
      h.update(buf.subarray(0, bytesRead));
      left -= bytesRead;
    }
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}

/** One regular file the walk saw, with what its content hash is cached under. */
interface WalkedFile { rel: string; head: string; key: string; changedNs: bigint; id: { dev: bigint; ino: bigint; size: bigint } }

/** What the walk saw of an entry: enough for the change list of the final copy (changes.ts). */
export interface WalkedEntry { rel: string; dir: boolean; ino: bigint; changedNs: bigint }

/** One walk of a root: the manifest lines of everything but regular files, the files to hash, every entry. */
export interface Walked { lines: string[]; files: WalkedFile[]; entries: WalkedEntry[]; unsettled: number }

/**
 * Walks `root` without following symlinks and describes every entry by type, mode, owner, size
 * and content (sha256 for files, target for links, rdev for devices). Times are left out: rsync
 * keeps them, but directory times legitimately move while the copy lands.
 * A running VE can swap a folder for a symlink between our lstat and readdir, so the walk stays
 * on `root`'s own filesystem: an entry on any other device (the host's /, /proc) is not entered
 * or read, only noted as changed (the frozen pass that verifies the copy sees the settled tree).
 */
export async function walkRoot(root: string): Promise<Walked> {
  const lines: string[] = [];
  const files: WalkedFile[] = [];
  const entries: WalkedEntry[] = [];
  let unsettled = 0;
  const rootDev = (await lstat(root, { bigint: true })).dev;
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const st = await lstat(abs, { bigint: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR' || e.code === 'ELOOP' || e.code === 'ENAMETOOLONG') return undefined;
      throw e;
    });
    if (!st || st.dev !== rootDev) {
      lines.push(`? ${CHANGED} ${rel}`);
      unsettled += 1;
      return;
    }
    const head = `${(st.mode & 0o7777n).toString(8)} ${st.uid}:${st.gid}`;
    const changedNs = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    entries.push({ rel, dir: st.isDirectory(), ino: st.ino, changedNs });
    if (st.isDirectory()) {
      lines.push(`d ${head} ${rel || '.'}`);
      // Siblings in parallel, a slice at a time: the pause waits on this walk, and one lstat
      // after another leaves the thread pool idle.
      const names = await readdir(abs).catch(() => [] as string[]);
      for (let i = 0; i < names.length; i += WALK_SLICE) {
        await Promise.all(names.slice(i, i + WALK_SLICE).map((n) => walk(rel ? `${rel}/${n}` : n)));
      }
    } else if (st.isFile()) {
      files.push({ rel, head: `f ${head} ${st.size}`, key: `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`, changedNs, id: { dev: st.dev, ino: st.ino, size: st.size } });
    } else if (st.isSymbolicLink()) {
      lines.push(`l ${head} ${rel} -> ${await readlink(abs).catch(() => CHANGED)}`);
    } else {
      const kind = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : 's';
      lines.push(`${kind} ${head} ${st.rdev} ${rel}`);
    }
  };
  await walk('');
  return { lines, files, entries, unsettled };
}

// One walk per freeze of a source root, shared by the final copy's change list and the verify's
// manifest (both run in the pause, on 2 cores a second walk would cost as much as the first).
const frozenWalks = new Map<string, { token: string; walk: Promise<Walked> }>();

/**
 * The walk of `root` while it is frozen under `token` (the freeze's marker): one walk for every
 * caller with the same token. Only for a tree nothing writes to; a new freeze has a new token.
 */
export function frozenWalk(root: string, token: string): Promise<Walked> {
  const hit = frozenWalks.get(root);
  if (hit?.token === token) return hit.walk;
  const walk = walkRoot(root);
  frozenWalks.set(root, { token, walk });
  walk.catch(() => frozenWalks.delete(root));
  return walk;
}

/**
 * The manifest of `root`; `walked`: a walk of the same unchanged tree (see frozenWalk) instead of a new one.
 * `settledAt`: hashes of files last changed before it are remembered (default: RACY_MS before `startedAt`);
 * later only for a tree no writer is active in.
 */
export async function buildManifest(root: string, o: { concurrency?: number; listing?: boolean; startedAt?: number; settledAt?: number; walked?: Walked } = {}): Promise<Manifest> {
  const concurrency = o.concurrency ?? 4;
  const settledNs = BigInt(o.settledAt ?? (o.startedAt ?? Date.now()) - RACY_MS) * 1_000_000n;
  const t0 = Date.now();
  const known = cache.get(root) ?? new Map<string, { key: string; sum: string }>();
  const fresh = new Map<string, { key: string; sum: string }>();
  let hashed = 0;
  const w = o.walked ?? await walkRoot(root);
  const lines = [...w.lines];
  const files = w.files;
  const bytes = files.reduce((n, f) => n + Number(f.id.size), 0);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      const hit = known.get(f.rel);
      let sum = hit?.key === f.key ? hit.sum : undefined;
      if (!sum) {
        sum = await hashFile(path.join(root, f.rel), f.id);
        hashed += 1;
        if (sum !== CHANGED && f.changedNs < settledNs) fresh.set(f.rel, { key: f.key, sum });
      } else {
        fresh.set(f.rel, { key: f.key, sum });
      }
      lines.push(`${f.head} ${sum} ${f.rel}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  // Sort by path so the digest does not depend on walk or hashing order.
  const keyed = lines.map((l) => ({ l, k: l.slice(l.lastIndexOf(' ') + 1) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.l < b.l ? -1 : 1));
  const h = createHash('sha256');
  for (const { l } of keyed) h.update(l + '\n');
  cache.set(root, fresh);
  return { digest: h.digest('hex'), entries: lines.length, files: files.length, bytes, ms: Date.now() - t0, hashed, ...(o.listing ? { lines: keyed.map((x) => x.l) } : {}) };
}
