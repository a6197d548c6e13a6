// Template images: each template is unpacked once into a ready ext4 image per (template checksum,
// size, inode count), kept under <vzroot>/template/images. A create then costs a sparse copy of the
// template's few MiB instead of mkfs + untar per VE (bench/README.md, profile-agent section).
import { mkdir, mkdtemp, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { CachedTemplate } from '../templates/cache';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import type { Undo } from '../sys/undo';
import { makeExt4 } from './image';

export const imagesDir = (vzroot: string) => path.join(vzroot, 'template', 'images');

/** Images kept per template name; the least recently used beyond this are removed. */
export const KEEP_PER_TEMPLATE = 8;

const building = new Map<string, Promise<string>>();

export const templateImageName = (tpl: CachedTemplate, bytes: number, inodes: number) =>
  `${tpl.manifest.name}@${tpl.manifest.sha256.slice(0, 16)}-${bytes}-${inodes}.img`;

/**
 * The ready image of `tpl` for a filesystem of `bytes` with `inodes` inodes: built on first use
 * (one build at a time per key in this daemon), then reused. Touched on every use so the pruning
 * keeps what plans use.
 */
export async function templateImage(vzroot: string, tpl: CachedTemplate, bytes: number, inodes: number): Promise<string> {
  const file = path.join(imagesDir(vzroot), templateImageName(tpl, bytes, inodes));
  if (await stat(file).catch(() => null)) {
    const t = new Date();
    await utimes(file, t, t).catch(() => undefined);
    return file;
  }
  let pending = building.get(file);
  if (!pending) {
    pending = buildTemplateImage(tpl, bytes, inodes, file).finally(() => building.delete(file));
    building.set(file, pending);
  }
  return pending;
}

async function buildTemplateImage(tpl: CachedTemplate, bytes: number, inodes: number, file: string): Promise<string> {
  const dir = path.dirname(file);
  const name = tpl.manifest.name;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(path.join(dir, '.build-'));
  try {
    const root = path.join(work, 'root');
    await mkdir(root, { mode: 0o755 });
    const tar = await run('tar', ['-xzpf', tpl.tarball, '--numeric-owner', '-C', root], { allowFail: true, timeoutMs: 30 * 60_000 });
    if (tar.code !== 0) {
      const full = /No space left/.test(tar.stderr);
      throw new VeError(full ? 'NO_DISK_SPACE' : 'INTERNAL', `unpacking ${name} failed: ${tar.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    }
    const img = path.join(work, 'image');
    await makeExt4(img, bytes, inodes, root).catch((e: Error) => {
      throw /allocate|space|inode|too small/i.test(e.message)
        ? new VeError('NO_DISK_SPACE', `template ${name} does not fit in ${bytes} bytes with ${inodes} inodes`)
        : e;
    });
    await rename(img, file);
    await pruneTemplateImages(dir, name);
    return file;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Keep the KEEP_PER_TEMPLATE most recently used images of template `name`. */
async function pruneTemplateImages(dir: string, name: string): Promise<void> {
  const mine = (await readdir(dir)).filter((f) => f.startsWith(`${name}@`) && f.endsWith('.img'));
  if (mine.length <= KEEP_PER_TEMPLATE) return;
  const dated = await Promise.all(mine.map(async (f) => ({ f, t: (await stat(path.join(dir, f)).catch(() => null))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.t - a.t);
  for (const { f } of dated.slice(KEEP_PER_TEMPLATE)) await rm(path.join(dir, f), { force: true });
}

/**
 * The VE's image as a copy of a ready template image. `cp --sparse=always` copies only the data
 * extents (SEEK_DATA), so a 10 GiB image holding 5 MiB of files costs 5 MiB of I/O.
 */
export async function copyTemplateImage(src: string, image: string, undo: Undo): Promise<void> {
  if (await stat(image).catch(() => null)) throw new VeError('VE_EXISTS', `image ${image} already exists`);
  await mkdir(path.dirname(image), { recursive: true, mode: 0o700 });
  undo.push(`remove image ${image}`, () => rm(image, { force: true }));
  await run('cp', ['--sparse=always', src, image]);
}
