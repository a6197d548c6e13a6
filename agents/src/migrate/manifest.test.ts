// The manifest's hash cache and the racy case (issue 13): content that changes without moving the
// file's timestamps must not be answered from the cache. A write through a shared mapping to a page
// that is already dirty does exactly that on Linux (mtime moves only on the first write fault), so
// a real process holds such a mapping here. Also: what a failed verify names.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { lstat, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildManifest, dropManifestCache, RACY_MS } from './manifest';
import { PYTHON } from '@/test/fixtures/python';
import { describeDifference, manifestDifference } from '@/server/operations/migrate/verify-diff';

// Maps `file` shared and writes one byte at offset 0 per "w <char>" line, answering "ok".
const MAPPER = `
import mmap, sys
f = open(sys.argv[1], 'r+b')
m = mmap.mmap(f.fileno(), 4096)
print('ready', flush=True)
for line in sys.stdin:
    m[0:1] = line.split()[1].encode()
    print('ok', flush=True)
`;

let dir = '';
let mapper: ChildProcessWithoutNullStreams | undefined;
afterEach(async () => {
  mapper?.kill('SIGKILL');
  mapper = undefined;
  if (dir) dropManifestCache(dir);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startMapper(file: string) {
  const p = spawn(PYTHON, ['-c', MAPPER, file]);
  mapper = p;
  const lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
  const next = async () => String((await lines.next()).value);
  expect(await next()).toBe('ready');
  return async (ch: string) => {
    p.stdin.write(`w ${ch}\n`);
    expect(await next()).toBe('ok');
  };
}

const keyOf = async (f: string) => {
  const st = await lstat(f, { bigint: true });
  return `${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
};

describe('manifest cache', () => {
  it('re-reads a file whose content changed behind unchanged timestamps (mmap writes), not the cached hash', async () => {
    dir = mkdtempSync('/tmp/cr-manifest-');
    const file = path.join(dir, 'db');
    await writeFile(file, Buffer.alloc(4096, 'a'));
    const write = await startMapper(file);
    await write('b'); // the first write fault moves mtime; the page stays dirty and writable
    const k0 = await keyOf(file);
    const first = await buildManifest(dir);
    await write('c'); // same dirty page: no timestamp moves
    expect(await keyOf(file)).toBe(k0); // the racy case is real here: the key did not change
    const second = await buildManifest(dir);
    dropManifestCache(dir);
    const fresh = await buildManifest(dir);
    expect(second.digest).not.toBe(first.digest);
    expect(second.digest).toBe(fresh.digest);
  });

  it('remembers a file that has not changed for a while, and only that', async () => {
    dir = mkdtempSync('/tmp/cr-manifest-');
    await writeFile(path.join(dir, 'old'), 'settled');
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    await writeFile(path.join(dir, 'new'), 'just written');
    expect((await buildManifest(dir)).hashed).toBe(2);
    // 'old' comes from the cache; 'new' changed moments before it was read, so it is read again
    expect((await buildManifest(dir)).hashed).toBe(1);
  }, 10_000);

  it('a failed verify names the entries only one side has', async () => {
    dir = mkdtempSync('/tmp/cr-manifest-');
    await writeFile(path.join(dir, 'count'), '123\n');
    const a = await buildManifest(dir, { listing: true });
    await writeFile(path.join(dir, 'count'), '124\n');
    const b = await buildManifest(dir, { listing: true });
    expect(a.lines).toHaveLength(a.entries);
    const d = manifestDifference(a.lines!, b.lines!);
    expect(d.onlySource).toEqual([expect.stringMatching(/^f \d+ \d+:\d+ 4 [0-9a-f]{64} count$/)]);
    expect(d.onlyTarget).toEqual([expect.stringMatching(/ count$/)]);
    expect(describeDifference(d)).toMatch(/^source has "f .* count"; target has "f .* count"$/);
  });
});
