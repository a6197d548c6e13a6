// Per-VE ext4 image on a loop device (ploop-like): create, attach, mount, grow, unmount, usage.
import { mkdir, open, readFile, readlink, rm, rmdir, stat, statfs, truncate } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import type { Undo } from '../sys/undo';

/** Create a sparse image of `bytes` and an ext4 filesystem with `inodes` inodes on it. */
export async function createImage(image: string, bytes: number, inodes: number, undo: Undo): Promise<void> {
  if (await stat(image).catch(() => null)) throw new VeError('VE_EXISTS', `image ${image} already exists`);
  await mkdir(path.dirname(image), { recursive: true, mode: 0o700 });
  undo.push(`remove image ${image}`, () => rm(image, { force: true }));
  await makeExt4(image, bytes, inodes);
}

/** A sparse file of exactly `bytes` with ext4 on it; with `from`, populated from that folder (mke2fs -d). */
export async function makeExt4(image: string, bytes: number, inodes: number, from?: string): Promise<void> {
  await run('truncate', ['-s', String(bytes), image]);
  // -m 0: no root-reserved blocks, the VE's root is the customer; lazy init keeps mkfs fast.
  await run('mkfs.ext4', ['-q', '-F', '-N', String(inodes), '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1', '-L', 'vzroot',
    ...(from ? ['-d', from] : []), image], { timeoutMs: 30 * 60_000 });
}

/** Loop devices currently backed by `image`. */
export async function loopsOf(image: string): Promise<string[]> {
  const r = await run('losetup', ['-n', '-O', 'NAME', '-j', image], { allowFail: true });
  return r.stdout.split('\n').map((s) => s.trim()).filter((s) => s.startsWith('/dev/loop'));
}

/**
 * The source of the filesystem mounted at `dir` ("/dev/loop12"), or undefined when nothing is.
 * A mount point is on another device than its parent: two stats and, for a block device, one sysfs
 * link name it. The mount table is read only for a mount that is no block device. It holds a line
 * per VE (2.2 ms a read at 784 mounts, linear in them: issue 15), and this runs on every start, stop
 * and status. Not seen: a bind mount of the parent's own filesystem (the agent makes none).
 */
export async function mountPointSource(dir: string): Promise<string | undefined> {
  const [st, up] = await Promise.all([stat(dir, { bigint: true }).catch(() => null), stat(path.dirname(dir), { bigint: true }).catch(() => null)]);
  if (!st || !up || st.dev === up.dev) return undefined;
  // glibc's dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31.
  const major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
  const minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
  const name = await readlink(`/sys/dev/block/${major}:${minor}`).then((l) => path.basename(l), () => undefined);
  if (name) return `/dev/${name}`;
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  const enc = dir.replace(/ /g, '\\040');
  return mounts.split('\n').map((l) => l.split(' ')).find((p) => p[1] === enc)?.[0];
}

/**
 * Attach a loop device to the image and mount it at `root`. Idempotent (a mounted root is left as
 * it is). `fresh`: the image was just written by this operation (a template copy), so no grow can
 * be pending and the superblock read is skipped.
 *
 * No lookup for a loop device already backing the image: `losetup -j` reads every loop device on
 * the node (225 ms at 1,500 devices, on every start of an existing VE; issue 15). Only a kill
 * between `losetup` and `mount` leaves an unmounted one; `detachLeftoverLoops` removes those when
 * the daemon starts, before it takes calls. Until then a second device on the same file, unmounted,
 * does no harm.
 */
export async function mountImage(image: string, root: string, undo: Undo, opts: { fresh?: boolean } = {}): Promise<string> {
  const src = await mountPointSource(root);
  if (src) return src;
  if (!(await stat(image).catch(() => null))) throw new VeError('VE_NOT_FOUND', `image ${image} does not exist`);
  await mkdir(path.dirname(root), { recursive: true, mode: 0o700 });
  await mkdir(root, { recursive: true, mode: 0o700 });
  if (!opts.fresh) await settlePendingGrow(image);
  // `losetup --find` takes a free device from the kernel (LOOP_CTL_GET_FREE). `mount -o loop` would
  // first read every loop device's backing file, looking for one to reuse: ~100 ms a start at
  // 1,300 VEs and growing with them (issue 15).
  const attached = (await run('losetup', ['--find', '--show', image])).stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(attached)) throw new VeError('INTERNAL', `losetup gave no loop device for ${image}: ${attached}`);
  // A mount that fails detaches the device here, whatever the caller does with its undo.
  await run('mount', ['-t', 'ext4', '-o', 'noatime', attached, root])
    .catch(async (e) => { await run('losetup', ['-d', attached], { allowFail: true }); throw e; });
  undo.push(`unmount ${root} and detach ${attached}`, async () => {
    await run('umount', [root], { allowFail: true });
    await run('losetup', ['-d', attached], { allowFail: true });
  });
  return attached;
}

/**
 * Startup pass (before the daemon takes calls): detach every loop device whose backing file is under
 * `<vzroot>/private/` (a VE image, or a deleted one) and that nothing mounts. One listing of the
 * node's loop devices per daemon start instead of one per VE start. Returns the devices detached.
 */
export function detachLeftoverLoops(vzroot: string): Promise<string[]> {
  return detachUnmountedLoops(path.join(vzroot, 'private'));
}

/** Detach every loop device whose backing file is under `dir` and that nothing mounts (one listing). */
export async function detachUnmountedLoops(dir: string): Promise<string[]> {
  const r = await run('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE'], { allowFail: true });
  if (r.code !== 0) return [];
  const mounted = new Set((await readFile('/proc/self/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[0]));
  const under = `${dir}/`;
  const gone: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const cut = line.indexOf(' ');
    const dev = line.slice(0, cut);
    // --raw writes a space in a name as \x20; " (deleted)" follows an image removed while attached.
    const back = line.slice(cut + 1).replace(/\\x20/g, ' ').replace(/ \(deleted\)$/, '');
    if (cut < 0 || !/^\/dev\/loop\d+$/.test(dev) || !back.startsWith(under) || mounted.has(dev)) continue;
    const d = await run('losetup', ['-d', dev], { allowFail: true });
    if (d.code === 0) gone.push(dev);
  }
  return gone;
}

/** Whether loop device `dev` is backed by `image` (one sysfs read). */
async function backs(dev: string, image: string): Promise<boolean> {
  const f = await readFile(`/sys/block/${path.basename(dev)}/loop/backing_file`, 'utf8').catch(() => '');
  return f.trim().replace(/ \(deleted\)$/, '') === image;
}

/**
 * Unmount `root` and detach its loop device. Safe to call when nothing is mounted: then nothing is
 * asked of losetup (a device left unmounted by a killed agent is `detachLeftoverLoops`'s).
 */
export async function unmountImage(image: string, root: string): Promise<void> {
  // The mount's own loop device is detached without asking losetup about every device on the node.
  let src = await mountPointSource(root);
  const wasMounted = !!src;
  const own = src && /^\/dev\/loop\d+$/.test(src) && (await backs(src, image)) ? src : undefined;
  for (let i = 0; i < 5 && src; i++) {
    const r = await run('umount', [root], { allowFail: true });
    if (r.code !== 0) await new Promise((res) => setTimeout(res, 200));
    src = await mountPointSource(root);
  }
  if (src) throw new VeError('INTERNAL', `cannot unmount ${root}: busy`);
  if (own) await run('losetup', ['-d', own], { allowFail: true });
  else if (wasMounted) for (const dev of await loopsOf(image)) await run('losetup', ['-d', dev], { allowFail: true });
  await rmdir(root).catch(() => undefined);
}

/** Online ext4 grow needs CAP_SYS_RESOURCE (EXT4_IOC_RESIZE_FS); some hosts drop it. */
export async function canResizeOnline(): Promise<boolean> {
  const st = await readFile('/proc/self/status', 'utf8');
  const eff = st.match(/^CapEff:\s*([0-9a-f]+)/m)?.[1];
  return eff !== undefined && (BigInt(`0x${eff}`) & (1n << 24n)) !== 0n;
}

export type ResizeOutcome = 'unchanged' | 'online' | 'offline' | 'pending';

/**
 * Resize the image to `bytes`. Growing works online (truncate, losetup -c, resize2fs on the
 * mounted device); where the host lacks CAP_SYS_RESOURCE the file grows now and the
 * filesystem at the next mount ('pending'). Shrinking is refused while mounted.
 */
export async function resizeImage(image: string, root: string, bytes: number): Promise<ResizeOutcome> {
  const cur = (await stat(image)).size;
  if (bytes === cur) return 'unchanged';
  const mounted = !!(await mountPointSource(root));
  if (bytes < cur) {
    if (mounted) throw new VeError('VE_RUNNING', 'diskspace can only grow while the VE is running or mounted; stop it to shrink');
    await fsck(image);
    const res = await run('resize2fs', [image, `${Math.floor(bytes / 1024)}K`], { allowFail: true });
    if (res.code !== 0) throw new VeError('NO_DISK_SPACE', `cannot shrink to ${bytes} bytes: ${res.stderr.trim().split('\n').pop()}`);
    await truncate(image, bytes);
    return 'offline';
  }
  if (mounted && !(await canResizeOnline())) {
    await truncate(image, bytes);
    return 'pending';
  }
  await truncate(image, bytes);
  const loops = await loopsOf(image);
  for (const dev of loops) await run('losetup', ['-c', dev]);
  if (mounted && loops[0]) {
    await run('resize2fs', [loops[0]]);
    return 'online';
  }
  await fsck(image);
  await run('resize2fs', [image]);
  return 'offline';
}

async function fsck(image: string): Promise<void> {
  const r = await run('e2fsck', ['-f', '-p', image], { allowFail: true });
  if (r.code > 1) throw new VeError('INTERNAL', `e2fsck ${image} failed (${r.code}): ${r.stderr.trim()}`);
}

/** Block count and size from the ext4 superblock (a file read, no dumpe2fs); undefined if it does not look like ext4. */
export async function ext4Geometry(image: string): Promise<{ blocks: number; bsize: number } | undefined> {
  const fh = await open(image, 'r').catch(() => null);
  if (!fh) return undefined;
  try {
    const sb = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(sb, 0, 1024, 1024);
    if (bytesRead < 1024 || sb.readUInt16LE(0x38) !== 0xef53) return undefined;
    const is64 = (sb.readUInt32LE(0x60) & 0x80) !== 0;
    return { blocks: sb.readUInt32LE(0x04) + (is64 ? sb.readUInt32LE(0x150) * 2 ** 32 : 0), bsize: 1024 * 2 ** sb.readUInt32LE(0x18) };
  } finally {
    await fh.close();
  }
}

async function dumpe2fsGeometry(image: string): Promise<{ blocks: number; bsize: number }> {
  const h = (await run('dumpe2fs', ['-h', image], { allowFail: true })).stdout;
  return { blocks: Number(h.match(/^Block count:\s*(\d+)/m)?.[1]), bsize: Number(h.match(/^Block size:\s*(\d+)/m)?.[1]) };
}

/** Grow the filesystem offline if the image file is larger than it (a 'pending' grow). */
export async function settlePendingGrow(image: string): Promise<boolean> {
  // The superblock is read directly; dumpe2fs only if it does not parse.
  const { blocks, bsize } = (await ext4Geometry(image)) ?? (await dumpe2fsGeometry(image));
  if (!blocks || !bsize || blocks * bsize >= (await stat(image)).size - bsize) return false;
  await fsck(image);
  await run('resize2fs', [image]);
  return true;
}

export interface DiskUsage { totalBytes: number; usedBytes: number; totalInodes: number; usedInodes: number }

export async function diskUsage(root: string): Promise<DiskUsage | undefined> {
  if (!(await mountPointSource(root))) return undefined;
  const s = await statfs(root);
  return {
    totalBytes: s.blocks * s.bsize,
    usedBytes: (s.blocks - s.bfree) * s.bsize,
    totalInodes: s.files,
    usedInodes: s.files - s.ffree,
  };
}
