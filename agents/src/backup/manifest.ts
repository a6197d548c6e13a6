// The backup's checksum manifest: sha256 of every regular file, in sha256sum(1) format, sorted by path.
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
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

/** Longest stretch the daemon's event loop is held by synchronous reads before other work gets a turn. */
const SLICE_MS = 15;

/**
 * Reads and hashes files on this thread with synchronous reads, yielding to the event loop every
 * SLICE_MS: measured on 2 cores, half the CPU of promise reads on the thread pool (no hand-off per
 * read, and the buffer is hashed on the core that filled it).
 */
class SliceHasher {
  private readonly buf = Buffer.allocUnsafe(256 << 10);
  private since = performance.now();

  /** sha256 of one file and its length. */
  async file(abs: string): Promise<{ sum: string; bytes: number }> {
    const fd = openSync(abs, 'r');
    try {
      const h = createHash('sha256');
      let bytes = 0;
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, null);
        if (!n) break;
        h.update(this.buf.subarray(0, n));
        bytes += n;
        await this.turn();
      }
      return { sum: h.digest('hex'), bytes };
    } finally {
      closeSync(fd);
    }
  }

  /** Lets timers, sockets and other calls run when this slice is used up. */
  async turn(): Promise<void> {
    if (performance.now() - this.since < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}

/**
 * Manifest of the tree at `root` (a read-only mounted copy, or a freshly restored tree): every
 * regular file's sha256, symlinks never followed. With `known`, unchanged files are not read
 * again; `fresh` collects this run's index.
 */
export async function manifestOf(root: string, known?: HashIndex, fresh?: HashIndex): Promise<ManifestText> {
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
  const hasher = new SliceHasher();
  let bytes = 0;
  let hashed = 0;
  for (let i = 0; i < files.length; i++) {
    const abs = path.join(root, files[i]);
    let key = '';
    if (known || fresh) {
      const st = lstatSync(abs, { bigint: true });
      key = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    }
    const hit = known?.get(files[i]);
    let r: { sum: string; bytes: number };
    if (hit && hit.key === key) {
      r = { sum: hit.sum, bytes: Number(key.split(':')[1]) };
      await hasher.turn();
    } else {
      r = await hasher.file(abs);
      hashed++;
    }
    fresh?.set(files[i], { key, sum: r.sum });
    sums[i] = line(r.sum, files[i]);
    bytes += r.bytes;
  }
  const text = sums.length ? `${sums.join('\n')}\n` : '';
  return { text, digest: createHash('sha256').update(text).digest('hex'), files: files.length, bytes, hashed };
}

const indexFile = (vzroot: string, ctid: number) => path.join(vzroot, 'backup', 'hashes', `${ctid}.json`);

/** What this node remembers of a VE's last backup: its hash index, and where the backup went. */
export interface LastBackup {
  index: HashIndex;
  /** The repository's label and the snapshot's full id: the next backup's parent, found without asking restic. */
  repo?: string;
  snapshotId?: string;
}

export async function loadLastBackup(vzroot: string, ctid: number): Promise<LastBackup> {
  const raw = await readFile(indexFile(vzroot, ctid), 'utf8').catch(() => '[]');
  try {
    const v = JSON.parse(raw) as [string, { key: string; sum: string }][] | { repo?: string; snapshotId?: string; index: [string, { key: string; sum: string }][] };
    // the first form (a bare index) named no snapshot
    if (Array.isArray(v)) return { index: new Map(v) };
    return { index: new Map(v.index), repo: v.repo, snapshotId: v.snapshotId };
  } catch {
    return { index: new Map() };
  }
}

/** Kept after a backup is stored, for the next one (write + rename: never torn). */
export async function saveLastBackup(vzroot: string, ctid: number, last: LastBackup): Promise<void> {
  const file = indexFile(vzroot, ctid);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(`${file}.tmp`, JSON.stringify({ repo: last.repo, snapshotId: last.snapshotId, index: [...last.index] }), { mode: 0o600 });
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
