// A VE's persisted state: the vzctl-style conf (source of truth) and the LXC config rendered from it.
import { chmod, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseConfFile, renderConfFile } from '../config/conf-file';
import { renderLxcConfig } from '../config/lxc-config';
import type { VeConfig } from '../config/schema';
import { VeError } from '../sys/errors';
import { atomicWrite } from '../sys/atomic-write';
import { vePaths } from '../sys/paths';
import { noteConf } from './address-index';
import { noteVeChanged } from './ve-feed';
import { hostFacts } from './host-facts';
import { ensureStopHook } from './stop-hook';

export async function readVe(vzroot: string, ctid: number): Promise<VeConfig> {
  const text = await readFile(vePaths(vzroot, ctid).conf, 'utf8').catch(() => null);
  if (text === null) throw new VeError('VE_NOT_FOUND', `VE ${ctid} does not exist on this node`);
  return parseConfFile(text);
}

export async function veExists(vzroot: string, ctid: number): Promise<boolean> {
  return readFile(vePaths(vzroot, ctid).conf).then(() => true, () => false);
}

/**
 * LXC needs the VE's mapped root to traverse <vzroot>, <vzroot>/lxc and lxc/<ctid> (x only,
 * no listing). Everything with content (private/, root/, conf/) stays 0700 root.
 */
export async function ensureTraversable(vzroot: string, ctid: number): Promise<void> {
  const p = vePaths(vzroot, ctid);
  for (const d of [vzroot, p.lxcpath, p.lxcDir]) {
    await mkdir(d, { recursive: true, mode: 0o711 });
    await chmod(d, 0o711);
  }
}

/** Write conf + LXC config (both atomically); the LXC config always follows the conf. */
export async function writeVe(vzroot: string, c: VeConfig, bridge: string): Promise<void> {
  const p = vePaths(vzroot, c.ctid);
  await ensureTraversable(vzroot, c.ctid);
  await atomicWrite(p.conf, renderConfFile(c, { root: p.root, private: p.private }), 0o600);
  await ensureStopHook(vzroot); // the LXC config names it
  await atomicWrite(p.lxcConfig, renderLxcConfig(c, hostFacts(), { vzroot, bridge }), 0o600);
  await noteConf(vzroot, c.ctid, c);
  await noteVeChanged(vzroot, c.ctid);
}

/** Remove a VE's conf (the VE stops being listed) and its addresses from the index. */
export async function removeVeConf(vzroot: string, ctid: number): Promise<void> {
  await rm(vePaths(vzroot, ctid).conf, { force: true });
  await confGone(vzroot, ctid);
}

/** The conf of `ctid` left this node (removed, or moved away by a migration). */
export async function confGone(vzroot: string, ctid: number): Promise<void> {
  await noteConf(vzroot, ctid, null);
  await noteVeChanged(vzroot, ctid);
}

export async function listCtids(vzroot: string): Promise<number[]> {
  const files = await readdir(path.join(vzroot, 'conf')).catch(() => [] as string[]);
  return files.map((f) => f.match(/^(\d+)\.conf$/)?.[1]).filter((x): x is string => !!x).map(Number).sort((a, b) => a - b);
}
