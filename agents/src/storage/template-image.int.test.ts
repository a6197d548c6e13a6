// Template images: built once per (template, size, inodes), copied per VE, independent copies,
// ownership/modes/links kept, a template that does not fit refused with nothing left, LRU pruning.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { chmod, chown, link, lstat, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CachedTemplate } from '../templates/cache';
import { run } from '../sys/exec';
import { Undo } from '../sys/undo';
import { diskUsage, ext4Geometry, loopsOf, mountImage, unmountImage } from './image';
import { copyTemplateImage, imagesDir, KEEP_PER_TEMPLATE, templateImage } from './template-image';

const MiB = 2 ** 20;
const vz = mkdtempSync('/tmp/vz-rt-ti-');
const mounted: Array<{ image: string; root: string }> = [];

afterAll(async () => {
  for (const m of mounted) {
    await unmountImage(m.image, m.root).catch(() => undefined);
    for (const d of await loopsOf(m.image).catch(() => [])) await run('losetup', ['-d', d], { allowFail: true });
  }
  rmSync(vz, { recursive: true, force: true });
});

const sha = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

/** A template tarball with a plain file, a file owned by 1000:1000, a setuid file, a hard link and a symlink. */
async function makeTemplate(name: string, extraFiles = 0): Promise<CachedTemplate> {
  const src = path.join(vz, `src-${name}`);
  mkdirSync(path.join(src, 'etc'), { recursive: true });
  mkdirSync(path.join(src, 'bin'), { recursive: true });
  await writeFile(path.join(src, 'etc/motd'), `hello from ${name}\n`);
  await writeFile(path.join(src, 'etc/owned'), 'x');
  await chown(path.join(src, 'etc/owned'), 1000, 1000);
  await writeFile(path.join(src, 'bin/su'), '#!/bin/sh\n');
  await chmod(path.join(src, 'bin/su'), 0o4755);
  await link(path.join(src, 'bin/su'), path.join(src, 'bin/su-link'));
  await symlink('../etc/motd', path.join(src, 'bin/motd-link'));
  for (let i = 0; i < extraFiles; i++) await writeFile(path.join(src, `etc/f${i}`), String(i));
  const tarball = path.join(vz, `${name}.tar.gz`);
  await run('tar', ['--numeric-owner', '-czf', tarball, '-C', src, '.']);
  const st = await stat(tarball);
  return { tarball, manifest: { name, os: 'test', version: '1', arch: 'amd64', init: '/bin/sh', sizeBytes: st.size, sha256: await sha(tarball) } };
}

async function mountCopy(base: string, id: string) {
  const image = path.join(vz, 'private', id, 'root.img');
  const root = path.join(vz, 'root', id);
  const undo = new Undo();
  await copyTemplateImage(base, image, undo);
  await mountImage(image, root, undo);
  mounted.push({ image, root });
  return { image, root };
}

describe('template images', () => {
  it('builds once for concurrent creates; each VE gets an independent copy with owners, modes and links kept', async () => {
    const tpl = await makeTemplate('tpl-a');
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => templateImage(vz, tpl, 64 * MiB, 4096)));
    expect(new Set([a, b, c]).size).toBe(1);
    expect(await readdir(imagesDir(vz))).toEqual([path.basename(a)]); // one image, no build folder left
    const baseSum = await sha(a);

    const v1 = await mountCopy(a, '101');
    const v2 = await mountCopy(a, '102');
    expect((await stat(v1.image)).size).toBe(64 * MiB);
    const geo = (await ext4Geometry(v1.image))!;
    expect(geo.blocks * geo.bsize).toBe(64 * MiB);
    const usage = (await diskUsage(v1.root))!;
    expect(usage.totalInodes).toBeGreaterThanOrEqual(4096);
    expect(usage.totalInodes).toBeLessThan(8192);
    // Sparse: the copy holds about what the template holds, not 64 MiB.
    expect((await stat(v1.image)).blocks * 512).toBeLessThan(16 * MiB);

    expect(await readFile(path.join(v1.root, 'etc/motd'), 'utf8')).toBe('hello from tpl-a\n');
    const owned = await stat(path.join(v1.root, 'etc/owned'));
    expect([owned.uid, owned.gid]).toEqual([1000, 1000]);
    const su = await stat(path.join(v1.root, 'bin/su'));
    expect(su.mode & 0o7777).toBe(0o4755);
    expect(su.nlink).toBe(2);
    expect((await stat(path.join(v1.root, 'bin/su-link'))).ino).toBe(su.ino);
    expect(await readlink(path.join(v1.root, 'bin/motd-link'))).toBe('../etc/motd');

    await writeFile(path.join(v1.root, 'etc/motd'), 'changed in 101\n');
    await writeFile(path.join(v1.root, 'etc/new'), 'only in 101');
    expect(await readFile(path.join(v2.root, 'etc/motd'), 'utf8')).toBe('hello from tpl-a\n');
    expect(existsSync(path.join(v2.root, 'etc/new'))).toBe(false);
    expect(await sha(a)).toBe(baseSum);

    // Used again: no rebuild (same file, same content).
    expect(await templateImage(vz, tpl, 64 * MiB, 4096)).toBe(a);
    expect(await sha(a)).toBe(baseSum);
  });

  it('refuses a template that does not fit the inode count, leaving nothing behind', async () => {
    const tpl = await makeTemplate('tpl-big', 300);
    const before = await readdir(imagesDir(vz));
    await expect(templateImage(vz, tpl, 16 * MiB, 128)).rejects.toMatchObject({ code: 'NO_DISK_SPACE', message: expect.stringMatching(/does not fit/) });
    expect(await readdir(imagesDir(vz))).toEqual(before);
  });

  it(`keeps the ${KEEP_PER_TEMPLATE} most recently used images of a template`, async () => {
    const tpl = await makeTemplate('tpl-lru');
    const sizes = Array.from({ length: KEEP_PER_TEMPLATE + 2 }, (_, i) => (16 + i) * MiB);
    const files: string[] = [];
    for (const s of sizes) {
      files.push(await templateImage(vz, tpl, s, 1024));
      await new Promise((r) => setTimeout(r, 15)); // distinct mtimes
    }
    const left = (await readdir(imagesDir(vz))).filter((f) => f.startsWith('tpl-lru@'));
    expect(left.sort()).toEqual(files.slice(-KEEP_PER_TEMPLATE).map((f) => path.basename(f)).sort());
    expect((await lstat(files[0]).catch(() => null))).toBeNull();
  });
});
