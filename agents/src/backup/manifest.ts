// The backup's checksum manifest: sha256 of every regular file, in sha256sum(1) format, sorted by path.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ManifestText { text: string; digest: string; files: number; bytes: number }

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
 * regular file's sha256, symlinks never followed, `skip` (top-level names) left out.
 */
export async function manifestOf(root: string, skip: string[] = [], concurrency = 4): Promise<ManifestText> {
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const ents = await readdir(path.join(root, rel), { withFileTypes: true });
    for (const e of ents) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && skip.includes(e.name)) continue;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) files.push(r);
    }
  };
  await walk('');
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sums = new Array<string>(files.length);
  let bytes = 0;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const r = await sha256File(path.join(root, files[i]));
      sums[i] = line(r.sum, files[i]);
      bytes += r.bytes;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const text = sums.length ? `${sums.join('\n')}\n` : '';
  return { text, digest: createHash('sha256').update(text).digest('hex'), files: files.length, bytes };
}

export async function writeManifest(root: string, file: string): Promise<ManifestText> {
  const m = await manifestOf(root);
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
