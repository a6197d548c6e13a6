// The backup's checksum manifest: sha256 of every regular file, in sha256sum(1) format, sorted by path.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ManifestText { text: string; digest: string; files: number; bytes: number; /** files actually read (the rest came from `known`) */ hashed: number }

/**
 * Hashes from the VE's previous backup, by path, with the inode, size, mtime and ctime (ns) they
 * were read at. A block copy keeps inodes and times, and no one can set a ctime back, so an equal
 * key means equal content: an incremental backup reads only the files that changed.
 */
export type HashIndex = Map<string, { key: string; sum: string }>;

// sha256sum's escaping: a name with a backslash or newline gets a leading backslash on its line.
function line(sum: string, rel: string): string {
  if (!/[\\\n]/.test(rel)) return `${sum}  ./${rel}`;
  return `\\${sum}  ./${rel.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`;
}

function sha256File(file: string): Promise<{ sum: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let bytes = 0;
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (b: Buffer | string) => { bytes += b.length; h.update(b); })
      .on('error', reject)
      .on('end', () => resolve({ sum: h.digest('hex'), bytes }));
  });
}

/**
 * Manifest of the tree at `root` (a read-only mounted copy, or a freshly restored tree): every
 * regular file's sha256, symlinks never followed. With `known`, unchanged files are not read
 * again; `fresh` collects this run's index.
 */
export async function manifestOf(root: string, known?: HashIndex, fresh?: HashIndex, concurrency = 4): Promise<ManifestText> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const ents = await readdir(path.join(root, rel), { withFileTypes: true });
    for (const e of ents) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) files.push(r);
    }
  };
  await walk('');
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sums = new Array<string>(files.length);
  let bytes = 0;
  let hashed = 0;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const abs = path.join(root, files[i]);
      let key = '';
      if (known || fresh) {
        const st = await lstat(abs, { bigint: true });
        key = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      }
      const hit = known?.get(files[i]);
      const r = hit && hit.key === key ? { sum: hit.sum, bytes: Number(key.split(':')[1]) } : await sha256File(abs);
      if (!hit || hit.key !== key) hashed++;
      fresh?.set(files[i], { key, sum: r.sum });
      sums[i] = line(r.sum, files[i]);
      bytes += r.bytes;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const text = sums.length ? `${sums.join('\n')}\n` : '';
  return { text, digest: createHash('sha256').update(text).digest('hex'), files: files.length, bytes, hashed };
}

const indexFile = (vzroot: string, ctid: number) => path.join(vzroot, 'backup', 'hashes', `${ctid}.json`);

export async function loadHashIndex(vzroot: string, ctid: number): Promise<HashIndex> {
  const raw = await readFile(indexFile(vzroot, ctid), 'utf8').catch(() => '[]');
  try {
    return new Map(JSON.parse(raw) as [string, { key: string; sum: string }][]);
  } catch {
    return new Map();
  }
}

/** Kept after a backup is stored, for the next one (write + rename: never torn). */
export async function saveHashIndex(vzroot: string, ctid: number, index: HashIndex): Promise<void> {
  const file = indexFile(vzroot, ctid);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(`${file}.tmp`, JSON.stringify([...index]), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function writeManifest(root: string, file: string, known?: HashIndex, fresh?: HashIndex): Promise<ManifestText> {
  const m = await manifestOf(root, known, fresh);
  await writeFile(file, m.text, { mode: 0o600 });
  return m;
}

/** Paths whose line differs between two manifests (first `max`), for a VERIFY_FAILED message. */
export function manifestDiff(want: string, got: string, max = 5): string[] {
  const key = (l: string) => l.slice(l.indexOf('  ./') + 4);
  const a = new Map(want.split('\n').filter(Boolean).map((l) => [key(l), l]));
  const b = new Map(got.split('\n').filter(Boolean).map((l) => [key(l), l]));
  const out: string[] = [];
  for (const [k, l] of a) if (b.get(k) !== l) out.push(b.has(k) ? `changed ${k}` : `missing ${k}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`extra ${k}`);
  return out.slice(0, max);
}
