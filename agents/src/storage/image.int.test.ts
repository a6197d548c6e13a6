import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, existsSync, writeFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { canResizeOnline, createImage, detachLeftoverLoops, diskUsage, ext4Geometry, loopsOf, mountImage, mountPointSource, resizeImage, settlePendingGrow, unmountImage } from './image';
import { Undo } from '../sys/undo';
import { run } from '../sys/exec';

const vz = mkdtempSync('/tmp/vz-rt-st-');
const image = path.join(vz, 'private/9001/root.img');
const root = path.join(vz, 'root/9001');
const MiB = 1024 * 1024;

afterAll(async () => {
  await unmountImage(image, root).catch(() => undefined);
  await unmountImage(path.join(vz, 'private/9004/root.img'), path.join(vz, 'root/9004')).catch(() => undefined);
  for (const img of [image, ...[9002, 9003, 9004, 9005].map((id) => path.join(vz, `private/${id}/root.img`)), path.join(vz, 'outside.img')]) {
    for (const d of await loopsOf(img).catch(() => [])) await run('losetup', ['-d', d], { allowFail: true });
  }
  rmSync(vz, { recursive: true, force: true });
});

describe('per-VE ext4 image on a loop device', () => {
  it('creates, mounts, grows online, refuses shrink while mounted, and unmounts cleanly', async () => {
    const undo = new Undo();
    await createImage(image, 64 * MiB, 4096, undo);
    const dev = await mountImage(image, root, undo);
    expect(dev).toMatch(/^\/dev\/loop\d+$/);
    expect(await mountPointSource(root)).toBe(dev);
    const u = (await diskUsage(root))!;
    expect(u.totalBytes).toBeGreaterThan(55 * MiB);
    expect(u.totalBytes).toBeLessThanOrEqual(64 * MiB);
    expect(u.totalInodes).toBeGreaterThanOrEqual(4096);
    expect(u.totalInodes).toBeLessThan(8192);
    writeFileSync(path.join(root, 'keep'), 'data');

    // Online grow needs CAP_SYS_RESOURCE; without it the filesystem grows at the next mount.
    const how = await resizeImage(image, root, 128 * MiB);
    expect(how).toBe((await canResizeOnline()) ? 'online' : 'pending');
    if (how === 'online') expect((await diskUsage(root))!.totalBytes).toBeGreaterThan(120 * MiB);
    await expect(resizeImage(image, root, 64 * MiB)).rejects.toThrow(/only grow/);

    await unmountImage(image, root);
    expect(await mountPointSource(root)).toBeUndefined();
    expect(await loopsOf(image)).toEqual([]);
    await mountImage(image, root, new Undo());
    expect((await diskUsage(root))!.totalBytes).toBeGreaterThan(120 * MiB);
    await unmountImage(image, root);

    await resizeImage(image, root, 96 * MiB); // offline shrink
    await mountImage(image, root, new Undo());
    expect((await diskUsage(root))!.totalBytes).toBeLessThan(100 * MiB);
    expect(existsSync(path.join(root, 'keep'))).toBe(true);
    await unmountImage(image, root);
  });

  it('names what is mounted at a folder: a loop device from its device number, anything else from the mount table', async () => {
    const t = path.join(vz, 'tmpfs-at');
    mkdirSync(t);
    expect(await mountPointSource(t)).toBeUndefined();
    expect(await mountPointSource(path.join(vz, 'missing'))).toBeUndefined();
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'vztesttmpfs', t]);
    try {
      expect(await mountPointSource(t)).toBe('vztesttmpfs');
    } finally {
      await run('umount', [t]);
    }
    expect(await mountPointSource(t)).toBeUndefined();
  });

  it('unwinds: no mount, loop device or image left after undo', async () => {
    const img = path.join(vz, 'private/9002/root.img');
    const r = path.join(vz, 'root/9002');
    const undo = new Undo();
    await createImage(img, 64 * MiB, 2048, undo);
    await mountImage(img, r, undo);
    expect(await undo.unwind()).toEqual([]);
    expect(await mountPointSource(r)).toBeUndefined();
    expect(await loopsOf(img)).toEqual([]);
    expect(existsSync(img)).toBe(false);
  });

  it('a mount that fails after losetup leaves no loop device attached, whatever the caller does with its undo', async () => {
    const img = path.join(vz, 'private/9003/root.img');
    const r = path.join(vz, 'root/9003');
    await createImage(img, 32 * MiB, 2048, new Undo());
    // Wipe the superblock: losetup attaches the file, mount then refuses it.
    writeFileSync(img, Buffer.alloc(64 * 1024), { flag: 'r+' });
    const undo = new Undo();
    await expect(mountImage(img, r, undo)).rejects.toThrow(/mount/);
    expect(await loopsOf(img)).toEqual([]);
    expect(await mountPointSource(r)).toBeUndefined();
    expect(undo.size).toBe(0);
    rmSync(img, { force: true });
  });

  it('at daemon start, detaches the loop devices of its images that nothing mounts, and only those', async () => {
    const img = (id: number) => path.join(vz, `private/${id}/root.img`);
    const attach = async (f: string) => (await run('losetup', ['--find', '--show', f])).stdout.trim();
    const undo = new Undo();
    for (const id of [9004, 9005]) await createImage(img(id), 32 * MiB, 2048, new Undo());
    const mounted = await mountImage(img(9004), path.join(vz, 'root/9004'), undo);
    // A kill between losetup and mount leaves this; mountImage does not look for it (that read every device).
    const left = await attach(img(9005));
    const deleted = path.join(vz, 'private/9006.img');
    writeFileSync(deleted, ''); truncateSync(deleted, 8 * MiB);
    const leftDeleted = await attach(deleted);
    rmSync(deleted);
    const outside = path.join(vz, 'outside.img'); // not under <vzroot>/private: not the agent's
    writeFileSync(outside, ''); truncateSync(outside, 8 * MiB);
    const other = await attach(outside);

    const again = await mountImage(img(9005), path.join(vz, 'root/9005'), undo);
    expect(again).not.toBe(left);
    await unmountImage(img(9005), path.join(vz, 'root/9005'));
    expect(await loopsOf(img(9005))).toEqual([left]); // its own device went; the leftover is the sweep's

    expect((await detachLeftoverLoops(vz)).sort()).toEqual([left, leftDeleted].sort());
    expect(await loopsOf(img(9005))).toEqual([]);
    expect(await loopsOf(img(9004))).toEqual([mounted]);
    expect(await mountPointSource(path.join(vz, 'root/9004'))).toBe(mounted);
    expect(await loopsOf(outside)).toEqual([other]);
    expect(await detachLeftoverLoops(vz)).toEqual([]);
    await run('losetup', ['-d', other]);
    expect(await undo.unwind()).toEqual([]);
  });

  it('reads the ext4 superblock like dumpe2fs and settles a pending grow only when the file is larger', async () => {
    const img = path.join(vz, 'pending.img');
    const undo = new Undo();
    await createImage(img, 32 * MiB, 2048, undo);
    const h = (await run('dumpe2fs', ['-h', img])).stdout;
    expect(await ext4Geometry(img)).toEqual({ blocks: Number(h.match(/^Block count:\s*(\d+)/m)?.[1]), bsize: Number(h.match(/^Block size:\s*(\d+)/m)?.[1]) });
    expect(await settlePendingGrow(img)).toBe(false);
    truncateSync(img, 48 * MiB);
    expect(await settlePendingGrow(img)).toBe(true);
    const g = (await ext4Geometry(img))!;
    expect(g.blocks * g.bsize).toBe(48 * MiB);
    expect(await settlePendingGrow(img)).toBe(false);
    rmSync(img, { force: true });
  });
});
