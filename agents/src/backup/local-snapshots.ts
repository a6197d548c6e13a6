// Local restore points (vzctl snapshot): copies of a VE's image beside it, reflinked where the filesystem can.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultOf } from '@/agents/protocol';
import type { HandlerContext } from '../daemon/types';
import { runtimeOf } from '../lxc/from-ctx';
import { readVe } from '../lxc/ve-store';
import { VeError } from '../sys/errors';
import { vePaths } from '../sys/paths';
import { copyImage, pointInTimeCopy, type CopyMode } from './pit';
import { swapImage } from './swap';
import { Work } from './work';

type Snap = ResultOf<'ve.snapshot.list'>['snapshots'][number];

const snapDir = (vzroot: string, ctid: number) => path.join(vePaths(vzroot, ctid).private, 'snapshots');
const files = (vzroot: string, ctid: number, id: string) => {
  const base = path.join(snapDir(vzroot, ctid), id);
  return { image: `${base}.img`, meta: `${base}.json` };
};

/** Snapshots of a VE, oldest first (a description whose image is missing is not a snapshot). */
export async function listSnapshots(vzroot: string, ctid: number): Promise<Snap[]> {
  await readVe(vzroot, ctid);
  const out: Snap[] = [];
  for (const n of await readdir(snapDir(vzroot, ctid)).catch(() => [] as string[])) {
    if (!n.endsWith('.json')) continue;
    const s = JSON.parse(await readFile(path.join(snapDir(vzroot, ctid), n), 'utf8').catch(() => '{}')) as Snap;
    if (s.id && (await stat(files(vzroot, ctid, s.id).image).catch(() => null))) out.push(s);
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
}

async function findSnapshot(vzroot: string, ctid: number, id: string): Promise<Snap> {
  const s = (await listSnapshots(vzroot, ctid)).find((x) => x.id === id);
  if (!s) throw new VeError('SNAPSHOT_NOT_FOUND', `VE ${ctid} has no snapshot ${id}`, { ctid, id });
  return s;
}

export async function createSnapshot(ctx: HandlerContext, ctid: number, name = '', maxCount?: number): Promise<Snap & { pauseMs: number }> {
  const have = await listSnapshots(ctx.vzroot, ctid);
  if (maxCount !== undefined && have.length >= maxCount) {
    throw new VeError('SNAPSHOT_LIMIT', `VE ${ctid} already has ${have.length} snapshots (at most ${maxCount}); delete one first`, { count: have.length, maxCount });
  }
  const id = randomUUID();
  const f = files(ctx.vzroot, ctid, id);
  await mkdir(snapDir(ctx.vzroot, ctid), { recursive: true, mode: 0o700 });
  const partial = `${f.image}.partial`;
  ctx.undo.push(`remove snapshot ${id}`, async () => { await rm(partial, { force: true }); await rm(f.image, { force: true }); await rm(f.meta, { force: true }); });
  const pit = await pointInTimeCopy(ctx.vzroot, ctid, partial);
  const snap: Snap = { id, ctid, name, createdAt: new Date().toISOString(), sizeBytes: (await stat(partial)).size, copyMode: pit.copyMode };
  await writeFile(f.meta, JSON.stringify(snap), { mode: 0o600 });
  await rename(partial, f.image); // listed only once complete
  return { ...snap, pauseMs: pit.pauseMs };
}

/** Rollback: a copy of the snapshot (it stays for another rollback) swapped in for the VE's image. */
export async function rollbackSnapshot(ctx: HandlerContext, ctid: number, id: string, start?: boolean) {
  const t0 = Date.now();
  await findSnapshot(ctx.vzroot, ctid, id);
  const vp = vePaths(ctx.vzroot, ctid);
  const work = await new Work(ctx.vzroot, 'restore', ctid).create();
  try {
    const fresh = `${vp.image}.rollback-${work.id}`;
    await work.save({ image: fresh, target: vp.image, phase: 'building' });
    const mode: CopyMode = await copyImage(ctx.vzroot, files(ctx.vzroot, ctid, id).image, fresh);
    ctx.log(`snapshot copied (${mode})`);
    const r = await swapImage(runtimeOf(ctx), ctid, fresh, work, ctx.undo, start);
    return { ctid, id, status: r.status, ms: Date.now() - t0 };
  } finally {
    await work.cleanup();
  }
}

export async function deleteSnapshot(vzroot: string, ctid: number, id: string) {
  await findSnapshot(vzroot, ctid, id);
  const f = files(vzroot, ctid, id);
  await rm(f.meta, { force: true });
  await rm(f.image, { force: true });
  return { ctid, id, deleted: true as const };
}
