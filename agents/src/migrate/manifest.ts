// Checksum manifest of a VE root: one line per entry, sorted, hashed into one digest.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface Manifest { digest: string; entries: number; files: number; bytes: number; ms: number; hashed: number }

// Per-root content hashes from earlier runs, keyed by inode, size, mtime and ctime (ns). Any write
// moves ctime and nobody can set ctime back, so an unchanged key means unchanged content: the
// manifest taken during the pause only re-reads what changed since the warm-up run.
const cache = new Map<string, Map<string, { key: string; sum: string }>>();

/** Entries of one directory examined at once. */
const WALK_SLICE = 64;

/** Forget cached hashes of a root (its migration ended). */
export const dropManifestCache = (root: string): void => {
  cache.delete(root);
};

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * Walks `root` without following symlinks and describes every entry by type, mode, owner, size
 * and content (sha256 for files, target for links, rdev for devices). Times are left out: rsync
 * keeps them, but directory times legitimately move while the copy lands.
 */
export async function buildManifest(root: string, concurrency = 4): Promise<Manifest> {
  const t0 = Date.now();
  const lines: string[] = [];
  const files: { rel: string; head: string; key: string }[] = [];
  const known = cache.get(root) ?? new Map<string, { key: string; sum: string }>();
  const fresh = new Map<string, { key: string; sum: string }>();
  let hashed = 0;
  let bytes = 0;
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const st = await lstat(abs, { bigint: true });
    const head = `${(st.mode & 0o7777n).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      lines.push(`d ${head} ${rel || '.'}`);
      // Siblings in parallel, a slice at a time: the pause waits on this walk, and one lstat
      // after another leaves the thread pool idle.
      const names = await readdir(abs);
      for (let i = 0; i < names.length; i += WALK_SLICE) {
        await Promise.all(names.slice(i, i + WALK_SLICE).map((n) => walk(rel ? `${rel}/${n}` : n)));
      }
    } else if (st.isFile()) {
      bytes += Number(st.size);
      files.push({ rel, head: `f ${head} ${st.size}`, key: `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` });
    } else if (st.isSymbolicLink()) {
      lines.push(`l ${head} ${rel} -> ${await readlink(abs)}`);
    } else {
      const kind = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : 's';
      lines.push(`${kind} ${head} ${st.rdev} ${rel}`);
    }
  };
  await walk('');
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      const hit = known.get(f.rel);
      let sum = hit?.key === f.key ? hit.sum : undefined;
      if (!sum) {
        sum = await hashFile(path.join(root, f.rel));
        hashed += 1;
      }
      fresh.set(f.rel, { key: f.key, sum });
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
  return { digest: h.digest('hex'), entries: lines.length, files: files.length, bytes, ms: Date.now() - t0, hashed };
}
