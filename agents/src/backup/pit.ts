// Point-in-time copies of a VE image: freeze the VE's filesystem, clone (or copy) the image, thaw.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { mountPointSource } from '../storage/image';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { vePaths } from '../sys/paths';

export type CopyMode = 'reflink' | 'sparse';
export interface CopyCapability { copyMode: CopyMode; reason: string; filesystem: string }

const FS_NAMES: Record<number, string> = { 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0xef53: 'ext4', 0x01021994: 'tmpfs', 0x794c7630: 'overlay' };
// In flight or done: hello and node.info ask at once at startup, and two probes must not share a file.
const probed = new Map<string, Promise<CopyCapability>>();

/** The folder VE images live in (created if missing, so the probe sees its real filesystem). */
const privateDir = async (vzroot: string) => {
  const dir = path.join(vzroot, 'private');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
};

/** Whether this node clones images (FICLONE: XFS with reflink, btrfs) and why; probed once per vzroot. */
export function copyCapability(vzroot: string): Promise<CopyCapability> {
  let p = probed.get(vzroot);
  if (!p) {
    p = probe(vzroot);
    probed.set(vzroot, p);
    p.catch(() => probed.delete(vzroot));
  }
  return p;
}

async function probe(vzroot: string): Promise<CopyCapability> {
  const dir = await privateDir(vzroot);
  const type = (await statfs(dir)).type;
  const filesystem = FS_NAMES[type] ?? `0x${type.toString(16)}`;
  const a = path.join(dir, `.reflink-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  const b = `${a}.clone`;
  let cap: CopyCapability;
  try {
    await writeFile(a, Buffer.alloc(4096, 1));
    const r = await run('cp', ['--reflink=always', a, b], { allowFail: true });
    cap = r.code === 0
      ? { copyMode: 'reflink', filesystem, reason: `${dir} is on ${filesystem}, which clones files (FICLONE): the VE pause is the clone, milliseconds` }
      : { copyMode: 'sparse', filesystem, reason: `${dir} is on ${filesystem}, which cannot clone files (${r.stderr.trim().split(': ').pop() ?? 'no FICLONE'}): the VE stays frozen while its image is copied; put the VE area on XFS (mkfs.xfs -m reflink=1) or btrfs for millisecond pauses` };
  } finally {
    await rm(a, { force: true });
    await rm(b, { force: true });
  }
  return cap;
}

/** Copies `src` to `dst`: a reflink where the filesystem has it, else a sparse copy. */
export async function copyImage(vzroot: string, src: string, dst: string): Promise<CopyMode> {
  const { copyMode } = await copyCapability(vzroot);
  await run('cp', [copyMode === 'reflink' ? '--reflink=always' : '--sparse=always', src, dst], { timeoutMs: 6 * 3600_000 });
  return copyMode;
}

const freezeDir = (vzroot: string) => path.join(vzroot, 'backup', 'freeze');

async function writeDurably(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  const fd = openSync(path.dirname(file), 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

export interface PitCopy { copyMode: CopyMode; pauseMs: number; frozen: boolean }

/**
 * A consistent copy of the VE's image at `dst`. When its filesystem is mounted (running, or
 * `vzctl mount`ed) it is frozen (fsfreeze) for the copy only: dirty data is flushed first, so the
 * pause is the copy itself. A journal file names the frozen mount until it is thawed, so an agent
 * killed inside the pause thaws it at its next start (thawLeftovers). Thawed in finally.
 */
export async function pointInTimeCopy(vzroot: string, ctid: number, dst: string): Promise<PitCopy> {
  const p = vePaths(vzroot, ctid);
  if (!(await mountPointSource(p.root))) return { copyMode: await copyImage(vzroot, p.image, dst), pauseMs: 0, frozen: false };
  await run('sync', ['-f', p.root], { allowFail: true, timeoutMs: 600_000 });
  await mkdir(freezeDir(vzroot), { recursive: true, mode: 0o700 });
  const mark = path.join(freezeDir(vzroot), `${ctid}.json`);
  await writeDurably(mark, JSON.stringify({ ctid, root: p.root, pid: process.pid, at: new Date().toISOString() }));
  const t0 = process.hrtime.bigint();
  let copyMode: CopyMode;
  try {
    const f = await run('fsfreeze', ['-f', p.root], { allowFail: true, timeoutMs: 120_000 });
    if (f.code !== 0) throw new VeError('INTERNAL', `cannot freeze the filesystem of VE ${ctid}: ${f.stderr.trim()}`);
    copyMode = await copyImage(vzroot, p.image, dst);
  } finally {
    await run('fsfreeze', ['-u', p.root], { allowFail: true, timeoutMs: 120_000 });
    await rm(mark, { force: true });
  }
  // measured after the thaw: the pause the VE saw, freeze to thaw
  const pauseMs = Math.round(Number(process.hrtime.bigint() - t0) / 1e5) / 10;
  return { copyMode, pauseMs, frozen: true };
}

/** Startup: thaws every VE filesystem a killed agent left frozen (its journal file says which). */
export async function thawLeftovers(vzroot: string, logger: Pick<Logger, 'warn'>): Promise<number[]> {
  const thawed: number[] = [];
  for (const name of await readdir(freezeDir(vzroot)).catch(() => [] as string[])) {
    const file = path.join(freezeDir(vzroot), name);
    const m = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as { ctid?: number; root?: string };
    if (m.root && (await mountPointSource(m.root))) {
      await run('fsfreeze', ['-u', m.root], { allowFail: true, timeoutMs: 120_000 });
      logger.warn({ ctid: m.ctid, root: m.root }, 'thawed a VE filesystem left frozen by an interrupted backup');
      if (m.ctid) thawed.push(m.ctid);
    }
    await rm(file, { force: true });
  }
  return thawed;
}
