// Online migration with CRIU, the agent half (issue 13): the source dumps the VE into its own root
// (so the final copy carries the dump with the files), the target restores it from there.
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type { Runtime } from '../lxc/runtime';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { checkpointVe } from './ve-checkpoint';
import { restoreVe } from './ve-restore';

/** Where the dump lives inside the VE's root during a migration (removed from inside the VE once it runs again). */
export const MIGRATION_DUMP = '.vzpanel-criu-dump';
export const migrationDumpDir = (vzroot: string, ctid: number) => path.join(vePaths(vzroot, ctid).root, MIGRATION_DUMP);

/** Source: final dump; the VE stops with it (its root stays on disk for the final copy). */
export async function checkpointForMigration(rt: Runtime, ctid: number) {
  return checkpointVe(rt, ctid, { stop: true, dir: migrationDumpDir(rt.vzroot, ctid), inRoot: true });
}

/**
 * Restores the VE from the dump inside its root (target after the copy, or the source after a
 * failed target), then removes the dump. From the host: its files belong to an id outside the
 * VE's mapped range, so the VE's root can neither delete nor change them; it could only swap the
 * folder itself for a symlink, and rm removes such a link without following it.
 */
export async function restoreFromMigrationDump(rt: Runtime, ctid: number, undo: Undo) {
  const dir = migrationDumpDir(rt.vzroot, ctid);
  const r = await restoreVe(rt, ctid, undo, { dir });
  await rm(dir, { recursive: true, force: true });
  return r;
}
