// vzctl mount/umount: a stopped VE's filesystem at <vzroot>/root/<ctid> for the admin to inspect.
import { mountImage, unmountImage } from '../storage/image';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { assertStopped, lxcState } from './lxc-cli';
import { veStatus, type StatusResult } from './power';
import { readVe } from './ve-store';
import type { Runtime } from './runtime';

export async function mountVe(rt: Runtime, ctid: number, undo: Undo): Promise<StatusResult> {
  await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  await mountImage(p.image, p.root, undo);
  return veStatus(rt, ctid);
}

export async function umountVe(rt: Runtime, ctid: number): Promise<StatusResult> {
  await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const st = await lxcState(ctid, p.lxcpath);
  assertStopped(ctid, st, 'stop it to unmount');
  await unmountImage(p.image, p.root);
  return veStatus(rt, ctid);
}
