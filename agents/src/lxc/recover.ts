// Settling operations the daemon was killed in the middle of: look at the real state, then say what happened.
import { rm } from 'node:fs/promises';
import { unmountImage } from '../storage/image';
import { vePaths } from '../sys/paths';
import { idRanges, releaseIdRange } from './idmap';
import { lxcState } from './lxc-cli';
import { veExists } from './ve-store';
import type { Runtime } from './runtime';

/**
 * A create cut short: if the conf was written the VE is complete (only the final unmount may be
 * missing); otherwise remove whatever it left (mount, loop, private area, id range, LXC dir).
 */
export async function settleCreate(rt: Runtime, ctid: number): Promise<'done' | 'cleaned'> {
  const p = vePaths(rt.vzroot, ctid);
  const st = await lxcState(ctid, p.lxcpath);
  if (await veExists(rt.vzroot, ctid)) {
    if (st !== 'RUNNING' && st !== 'FROZEN') await unmountImage(p.image, p.root);
    return 'done';
  }
  await unmountImage(p.image, p.root).catch(() => undefined);
  await rm(p.private, { recursive: true, force: true });
  await rm(p.lxcDir, { recursive: true, force: true });
  for (const [first, owner] of await idRanges(rt.vzroot)) if (owner === ctid) await releaseIdRange(rt.vzroot, first);
  return 'cleaned';
}
