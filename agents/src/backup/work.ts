// Scratch state of one backup or restore: a folder with state.json naming what to undo after a crash.
import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { loopsOf, mountPointSource, unmountImage } from '../storage/image';
import { run } from '../sys/exec';
import { removeStaleSecrets } from './repo';
import { thawLeftovers } from './pit';

export interface WorkState {
  kind: 'backup' | 'restore' | 'export';
  ctid: number;
  /** Image copy or the restore's new image: removed on cleanup unless the swap happened. */
  image?: string;
  /** Mount point of `image`. */
  mount?: string;
  /** restore: 'swapping' once the new image is verified and the VE is about to be stopped. */
  phase?: 'building' | 'swapping';
  /** restore: the VE's image the new one replaces, and whether the VE ran before. */
  target?: string;
  wasRunning?: boolean;
}

const workRoot = (vzroot: string) => path.join(vzroot, 'backup', 'work');
/** Image copies live next to VE images: a reflink needs the same filesystem. */
export const copyRoot = (vzroot: string) => path.join(vzroot, 'private', '.vzbackup');

export class Work {
  readonly id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  readonly dir: string;
  state: WorkState;
  constructor(readonly vzroot: string, kind: WorkState['kind'], ctid: number) {
    this.dir = path.join(workRoot(vzroot), this.id);
    this.state = { kind, ctid };
  }

  /** The scratch folder, 0700. */
  async create(): Promise<this> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await mkdir(copyRoot(this.vzroot), { recursive: true, mode: 0o700 });
    await this.save({});
    return this;
  }

  /** Merges `patch` into state.json (write + rename: never torn). */
  async save(patch: Partial<WorkState>): Promise<void> {
    this.state = { ...this.state, ...patch };
    const tmp = path.join(this.dir, 'state.json.tmp');
    await writeFile(tmp, JSON.stringify(this.state), { mode: 0o600 });
    await rename(tmp, path.join(this.dir, 'state.json'));
  }

  /** Unmounts, detaches and removes everything this work made (not the swapped-in image). */
  cleanup(): Promise<void> {
    return cleanupWork(this.dir, this.state);
  }
}

async function cleanupWork(dir: string, s: WorkState): Promise<void> {
  if (s.image && s.mount) await unmountImage(s.image, s.mount).catch(() => undefined);
  else if (s.mount && (await mountPointSource(s.mount))) await run('umount', ['-l', s.mount], { allowFail: true });
  if (s.image) {
    for (const l of await loopsOf(s.image)) await run('losetup', ['-d', l], { allowFail: true });
    await rm(s.image, { force: true });
  }
  await rm(dir, { recursive: true, force: true });
}

/**
 * Startup pass (before the daemon takes calls): thaw what a killed agent left frozen, drop its
 * secret files, and settle its scratch work. A restore caught after its verified image was
 * ready ('swapping') is rolled forward (the new image replaces the old, the VE runs again if it
 * did); one caught earlier is dropped, so the VE keeps its old data. Returns VEs to start again.
 */
export async function settleLeftovers(vzroot: string, logger: Pick<Logger, 'warn'>): Promise<number[]> {
  await thawLeftovers(vzroot, logger);
  await removeStaleSecrets(vzroot);
  const restart: number[] = [];
  for (const id of await readdir(workRoot(vzroot)).catch(() => [] as string[])) {
    const dir = path.join(workRoot(vzroot), id);
    const s = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8').catch(() => '{}')) as WorkState;
    if (s.kind === 'restore' && s.phase === 'swapping' && s.image && s.target) {
      const ready = await access(s.image).then(() => true, () => false);
      if (ready) await rename(s.image, s.target);
      if (s.wasRunning) restart.push(s.ctid);
      logger.warn({ ctid: s.ctid, rolledForward: ready }, 'finished an interrupted restore: the VE has the restored data');
    }
    await cleanupWork(dir, s);
  }
  // copies whose work folder went first (killed between the two removals)
  await rm(copyRoot(vzroot), { recursive: true, force: true });
  await removePartialSnapshots(vzroot);
  return restart;
}

/** Snapshot copies a killed agent did not finish (local-snapshots.ts writes `<id>.img.partial` first). */
async function removePartialSnapshots(vzroot: string): Promise<void> {
  const priv = path.join(vzroot, 'private');
  for (const ve of await readdir(priv).catch(() => [] as string[])) {
    if (!/^\d+$/.test(ve)) continue;
    const dir = path.join(priv, ve, 'snapshots');
    for (const n of await readdir(dir).catch(() => [] as string[])) if (n.endsWith('.partial')) await rm(path.join(dir, n), { force: true });
  }
}
