// The final pass's change list (issue 15), checked with the real rsync and the real options of a
// migration: after a copy, the tree changes (a file rewritten, one made, one deleted, a directory
// renamed with files deep inside); the list alone must bring the copy level with the source, and
// must leave out what did not change. An untrusted baseline must give a reason, not a list.
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { changesSince, dropBaseline, takeBaseline } from './changes';
import { PYTHON } from '@/test/fixtures/python';
import { buildManifest, dropManifestCache, walkRoot } from './manifest';
import { rsyncOptions } from './send';

const sh = promisify(execFile);
let dir = '';
afterEach(async () => {
  if (!dir) return;
  dropBaseline(path.join(dir, 'src'));
  dropManifestCache(path.join(dir, 'src'));
  dropManifestCache(path.join(dir, 'dst'));
  await rm(dir, { recursive: true, force: true });
  dir = '';
});

/** src/ with nested folders and files, an rsync copy of it in dst/ taken after the baseline. */
async function copied(): Promise<{ src: string; dst: string }> {
  dir = mkdtempSync('/tmp/ht-changes-');
  const src = path.join(dir, 'src');
  const dst = path.join(dir, 'dst');
  const put = async (rel: string, body: string) => {
    await mkdir(path.dirname(path.join(src, rel)), { recursive: true });
    await writeFile(path.join(src, rel), body);
  };
  for (let i = 0; i < 40; i++) await put(`keep/f${i}`, `keep ${i}`);
  await put('a/x', 'x one');
  await put('a/sub/deep', 'deep');
  await put('b/gone', 'gone');
  await put('b/stay', 'stay');
  await put('Rold/top', 'top');
  await put('Rold/k/deep', 'k deep');
  await put('Rold/k/l/deeper', 'k l deeper');
  // Entries changed within the clock slack before the baseline count as changed: let the tree settle.
  await new Promise((r) => setTimeout(r, 1100));
  await takeBaseline(src);
  await sh('rsync', [...rsyncOptions(), `${src}/`, `${dst}/`]);
  // The change times the walk compares come from a coarse clock: step past the slack of the baseline.
  await new Promise((r) => setTimeout(r, 1100));
  return { src, dst };
}

const digest = async (root: string) => (await buildManifest(root)).digest;

describe('final pass: only what changed since the baseline', () => {
  it('brings the copy level with the source (rewrite, new file, deletion, renamed folder) and lists nothing else', async () => {
    const { src, dst } = await copied();
    await writeFile(path.join(src, 'a/x'), 'x two');
    await writeFile(path.join(src, 'a/y'), 'new');
    await unlink(path.join(src, 'b/gone'));
    await rename(path.join(src, 'Rold'), path.join(src, 'R'));
    await chmod(path.join(src, 'keep/f3'), 0o600);
    const sel = changesSince(src, await walkRoot(src));
    if ('reason' in sel) throw new Error(sel.reason);
    // The root (Rold left it), a/ (y made), b/ (gone deleted), the renamed folder and every folder in it.
    expect(sel.list).toEqual(['.', 'R/', 'R/k/', 'R/k/l/', 'a/', 'a/x', 'a/y', 'b/', 'keep/f3']);
    const list = path.join(dir, 'list');
    await writeFile(list, sel.list.join('\0') + '\0');
    await sh('rsync', [...rsyncOptions(0, list, true), `${src}/`, `${dst}/`]);
    expect(await digest(dst)).toBe(await digest(src));
    expect(await readFile(path.join(dst, 'R/k/l/deeper'), 'utf8')).toBe('k l deeper');
    await expect(readFile(path.join(dst, 'b/gone'))).rejects.toThrow(/ENOENT/);
    await expect(readFile(path.join(dst, 'Rold/top'))).rejects.toThrow(/ENOENT/);
  }, 30_000);

  it('lists a file written through a shared mapping whose page was already dirty before the baseline', async () => {
    dir = mkdtempSync('/tmp/ht-changes-');
    const src = path.join(dir, 'src');
    await mkdir(src);
    await writeFile(path.join(src, 'db'), Buffer.alloc(4096, 'a'));
    // Maps the file shared and writes one byte at offset 0 per "w <char>" line, answering "ok".
    const mapper = spawn(PYTHON, ['-c', 'import mmap,sys\nf=open(sys.argv[1],"r+b")\nm=mmap.mmap(f.fileno(),4096)\nprint("ready",flush=True)\nfor l in sys.stdin:\n  m[0:1]=l.split()[1].encode()\n  print("ok",flush=True)', path.join(src, 'db')]);
    try {
      const out = createInterface({ input: mapper.stdout })[Symbol.asyncIterator]();
      const say = async (line: string) => {
        if (line) mapper.stdin.write(`${line}\n`);
        expect(String((await out.next()).value)).toBe(line ? 'ok' : 'ready');
      };
      await say('');
      await say('w b'); // dirty page: later writes to it move no timestamp until it is written back
      await new Promise((r) => setTimeout(r, 1100));
      await takeBaseline(src); // flushes: the next write through the mapping faults and moves the times
      await say('w c');
      expect(changesSince(src, await walkRoot(src))).toMatchObject({ list: ['db'] });
    } finally {
      mapper.kill('SIGKILL');
    }
  }, 30_000);

  it('lists nothing when nothing changed', async () => {
    const { src } = await copied();
    expect(changesSince(src, await walkRoot(src))).toMatchObject({ list: [] });
  }, 30_000);

  it('gives a reason instead of a list: no baseline, or too much changed', async () => {
    const { src } = await copied();
    for (let i = 0; i < 40; i++) await writeFile(path.join(src, `keep/f${i}`), `changed ${i}`);
    expect(changesSince(src, await walkRoot(src))).toEqual({ reason: expect.stringMatching(/^4\d of 5\d entries changed: a full rescan/) });
    dropBaseline(src);
    expect(changesSince(src, await walkRoot(src))).toEqual({ reason: expect.stringMatching(/no change baseline/) });
  }, 30_000);
});
