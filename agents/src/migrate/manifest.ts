// Checksum manifest of a VE root: one line per entry, sorted, hashed into one digest.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

export interface Manifest { digest: string; entries: number; files: number; bytes: number; ms: number }

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
  const files: { rel: string; head: string }[] = [];
  let bytes = 0;
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const st = await lstat(abs);
    const head = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isDirectory()) {
      lines.push(`d ${head} ${rel || '.'}`);
      const names = (await readdir(abs)).sort();
      for (const n of names) await walk(rel ? `${rel}/${n}` : n);
    } else if (st.isFile()) {
      bytes += st.size;
      files.push({ rel, head: `f ${head} ${st.size}` });
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
      lines.push(`${f.head} ${await hashFile(path.join(root, f.rel))} ${f.rel}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  // Sort by path so the digest does not depend on walk or hashing order.
  const keyed = lines.map((l) => ({ l, k: l.slice(l.lastIndexOf(' ') + 1) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.l < b.l ? -1 : 1));
  const h = createHash('sha256');
  for (const { l } of keyed) h.update(l + '\n');
  return { digest: h.digest('hex'), entries: lines.length, files: files.length, bytes, ms: Date.now() - t0 };
}
