// vzctl destroy: a stopped VE's image, private area, config, LXC dir, id range and port filter go.
import { rm } from 'node:fs/promises';
import { vethName } from '../config/schema';
import { removePortPolicy } from '../net/antispoof';
import { pruneOverflowBridges } from '../net/overflow';
import { removeShaping } from '../net/shaping';
import { unmountImage } from '../storage/image';
import { VeError } from '../sys/errors';
import { vePaths } from '../sys/paths';
import { releaseIdRange } from './idmap';
import { lxcState } from './lxc-cli';
import { readVe, removeVeConf } from './ve-store';
import { clearRebootNote } from './stop-hook';
import type { Runtime } from './runtime';

export async function destroyVe(rt: Runtime, ctid: number): Promise<{ ctid: number; destroyed: true }> {
  const c = await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const st = await lxcState(ctid, p.lxcpath);
  if (st !== 'STOPPED' && st !== 'UNKNOWN') throw new VeError('VE_RUNNING', `VE ${ctid} is running; stop it first`);
  await removePortPolicy(rt.bridge, vethName(ctid));
  await removeShaping(ctid);
  await unmountImage(p.image, p.root);
  await pruneOverflowBridges(rt.bridge); // a VE stopped from inside left its overflow bridge maybe empty
  // Conf last: while it exists the VE is still listed, so a half-done destroy is visible and repeatable.
  await rm(p.private, { recursive: true, force: true });
  await rm(p.lxcDir, { recursive: true, force: true });
  await releaseIdRange(rt.vzroot, c.idmap.uid);
  await removeVeConf(rt.vzroot, ctid);
  await clearRebootNote(rt.vzroot, ctid);
  return { ctid, destroyed: true };
}
