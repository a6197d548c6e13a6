// Target side: prepare an empty image for the copy, commit it into a real VE, or remove it.
import { mkdir, readFile, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { checkVeAddresses } from '../config/network-check';
import { macForCtid, veConfigSchema, vethName } from '../config/schema';
import { applyPortPolicy, removePortPolicy } from '../net/antispoof';
import { claimIps } from '../lxc/address-index';
import { allocateIdRange, releaseIdRange } from '../lxc/idmap';
import { startVe, veStatus, type VeStatus } from '../lxc/power';
import { restoreFromMigrationDump } from '../criu/migrate';
import { removeVeConf, veExists, writeVe } from '../lxc/ve-store';
import type { Runtime } from '../lxc/runtime';
import { createImage, mountImage, unmountImage } from '../storage/image';
import { VeError } from '../sys/errors';
import { parseOrBadParams } from '../sys/params';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { authorizeMigrationKey, revokeMigrationKey } from './authorized-keys';
import { dropManifestCache } from './manifest';
import { readTargetMarker, recvPidFile, removeTargetMarker, writeTargetMarker } from './state';

const MiB = 2 ** 20;
const targetConfigSchema = veConfigSchema.omit({ idmap: true });

export interface PrepareInput {
  ctid: number;
  config: Record<string, unknown>;
  imageBytes: number;
  usedBytes: number;
  authorizedKey: string;
  migrationId: string;
}

/**
 * Pre-flight and preparation on the target: the ctid and its addresses are free here, the
 * template is cached, there is room; then an empty image of the source's size is created and
 * mounted, an id range reserved and the migration key installed. Nothing else is written: until
 * commit the VE does not exist on this node (no conf, not listed).
 */
export async function prepareTarget(rt: Runtime, i: PrepareInput, undo: Undo) {
  const c = parseOrBadParams(targetConfigSchema, { ...i.config, ctid: i.ctid }, { at: 'config' });
  const p = vePaths(rt.vzroot, i.ctid);
  const prior = await readTargetMarker(rt.vzroot, i.ctid);
  if (prior?.migrationId === i.migrationId) return { ctid: i.ctid, root: p.root, imageBytes: prior.imageBytes, idmapFirst: prior.idmapFirst };
  if (await veExists(rt.vzroot, i.ctid)) throw new VeError('VE_EXISTS', `VE ${i.ctid} already exists on this node`);
  if (prior) throw new VeError('VE_EXISTS', `another migration of VE ${i.ctid} (${prior.migrationId}) is prepared on this node; abort it first`);
  checkVeAddresses(c, rt.networks);
  await claimIps(rt.vzroot, i.ctid, c.ips);
  // The VE's files travel with it: its template is needed here only for a later reinstall, which
  // fetches or builds it then. A VE imported from OpenVZ has a template label no node caches.
  const fs = await statfs(rt.vzroot);
  const need = Math.ceil(i.usedBytes * 1.1) + 64 * MiB;
  if (fs.bavail * fs.bsize < need) throw new VeError('NO_DISK_SPACE', `not enough space under ${rt.vzroot} for VE ${i.ctid}: need ${need} bytes, ${fs.bavail * fs.bsize} free`);

  await mkdir(path.dirname(p.private), { recursive: true, mode: 0o700 });
  // Non-recursive mkdir claims the ctid against a concurrent create on this node.
  await mkdir(p.private, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'EEXIST' ? new VeError('VE_EXISTS', `private area of VE ${i.ctid} already exists on this node`) : e;
  });
  undo.push(`remove private area ${p.private}`, () => rm(p.private, { recursive: true, force: true }));
  const first = await allocateIdRange(rt.vzroot, i.ctid, undo);
  await createImage(p.image, i.imageBytes, c.diskinodes, undo);
  await mountImage(p.image, p.root, undo);
  undo.push(`unmount ${p.root}`, () => unmountImage(p.image, p.root));
  // The port filter the VE starts with, now (an nft run less in the pause); before the marker that
  // says so, and abortTarget removes it.
  await applyPortPolicy(rt.bridge, { veth: vethName(i.ctid), mac: c.mac ?? macForCtid(i.ctid), ips: c.ips });
  undo.push(`remove port filter of ${i.ctid}`, () => removePortPolicy(rt.bridge, vethName(i.ctid)));
  await writeTargetMarker(rt.vzroot, {
    state: 'prepared', migrationId: i.migrationId, ctid: i.ctid, config: { ...i.config, ctid: i.ctid },
    idmapFirst: first, imageBytes: i.imageBytes, createdAt: new Date().toISOString(), policyReady: true,
  });
  undo.push('remove migration marker', () => removeTargetMarker(rt.vzroot, i.ctid));
  await authorizeMigrationKey(rt.vzroot, i.ctid, i.authorizedKey);
  undo.push('revoke migration key', () => revokeMigrationKey(rt.vzroot, i.ctid));
  return { ctid: i.ctid, root: p.root, imageBytes: i.imageBytes, idmapFirst: first };
}

/** Root of a prepared target copy (for the manifest); VE_NOT_FOUND when nothing is prepared. */
export async function preparedRoot(rt: Runtime, ctid: number): Promise<string> {
  const m = await readTargetMarker(rt.vzroot, ctid);
  if (!m) throw new VeError('VE_NOT_FOUND', `no migration of VE ${ctid} is prepared on this node`);
  return vePaths(rt.vzroot, ctid).root;
}

/**
 * Turns the prepared copy into this node's VE: conf + LXC config with this node's id range
 * (idmapped root: files stay owned by 0 on disk), migration key revoked, then optionally start.
 */
export async function commitTarget(rt: Runtime, ctid: number, start: boolean, undo: Undo, restore = false): Promise<{ ctid: number; status: VeStatus; ms: number }> {
  const t0 = Date.now();
  const m = await readTargetMarker(rt.vzroot, ctid);
  if (!m) {
    // Already committed (a repeat after a panel restart): only the start may be missing.
    if (await veExists(rt.vzroot, ctid)) {
      const cur = (await veStatus(rt, ctid)).status;
      if (!start || cur === 'running') return { ctid, status: cur, ms: 0 };
      return { ctid, status: (await startVe(rt, ctid, undo)).status, ms: Date.now() - t0 };
    }
    throw new VeError('VE_NOT_FOUND', `no migration of VE ${ctid} is prepared on this node`);
  }
  const c = veConfigSchema.parse({ ...m.config, ctid, idmap: { uid: m.idmapFirst, gid: m.idmapFirst } });
  if (restore) {
    // CRIU restore first, the hand-over after: a failed restore leaves an uncommitted copy abortTarget removes.
    await writeVe(rt.vzroot, c, rt.bridge);
    let s: { status: VeStatus };
    try {
      s = await restoreFromMigrationDump(rt, ctid, undo);
    } catch (e) {
      await removeVeConf(rt.vzroot, ctid);
      await rm(vePaths(rt.vzroot, ctid).lxcDir, { recursive: true, force: true });
      throw e;
    }
    await revokeMigrationKey(rt.vzroot, ctid);
    await removeTargetMarker(rt.vzroot, ctid);
    dropManifestCache(vePaths(rt.vzroot, ctid).root);
    return { ctid, status: s.status, ms: Date.now() - t0 };
  }
  await revokeMigrationKey(rt.vzroot, ctid);
  await writeVe(rt.vzroot, c, rt.bridge);
  await removeTargetMarker(rt.vzroot, ctid);
  dropManifestCache(vePaths(rt.vzroot, ctid).root);
  if (!start) {
    await unmountImage(vePaths(rt.vzroot, ctid).image, vePaths(rt.vzroot, ctid).root);
    return { ctid, status: 'stopped', ms: Date.now() - t0 };
  }
  // Committed under this call's VE lock: it cannot be running, its LXC config was just written and
  // its port filter applied at prepare, so no lxc-info, re-render or nft run in the pause.
  const s = await startVe(rt, ctid, undo, { fresh: true, policyReady: m.policyReady });
  return { ctid, status: s.status, ms: Date.now() - t0 };
}

async function killReceiver(vzroot: string, ctid: number): Promise<void> {
  const pid = Number((await readFile(recvPidFile(vzroot, ctid), 'utf8').catch(() => '')).trim());
  if (pid > 1) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* no such group (older receiver) */ }
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    // Let the killed processes drop their hold on the mount before it is unmounted.
    for (let i = 0; i < 100 && (await readFile(`/proc/${pid}/stat`, 'utf8').then((st) => !/\) Z /.test(st), () => false)); i++) await new Promise((r) => setTimeout(r, 20));
  }
  await rm(recvPidFile(vzroot, ctid), { force: true });
}

/**
 * Removes an uncommitted copy: key, receiver, mount, loop device, image, id range, marker.
 * Refuses once the VE is committed here (then it is the real VE, not a copy).
 */
export async function abortTarget(rt: Runtime, ctid: number): Promise<{ ctid: number; removed: boolean }> {
  const m = await readTargetMarker(rt.vzroot, ctid);
  if (!m) {
    if (await veExists(rt.vzroot, ctid)) throw new VeError('VE_EXISTS', `VE ${ctid} is committed on this node; not removing it`);
    await revokeMigrationKey(rt.vzroot, ctid);
    return { ctid, removed: false };
  }
  const p = vePaths(rt.vzroot, ctid);
  await revokeMigrationKey(rt.vzroot, ctid);
  await killReceiver(rt.vzroot, ctid);
  await removePortPolicy(rt.bridge, vethName(ctid));
  await unmountImage(p.image, p.root);
  await rm(p.private, { recursive: true, force: true });
  await releaseIdRange(rt.vzroot, m.idmapFirst);
  await removeTargetMarker(rt.vzroot, ctid);
  dropManifestCache(p.root);
  return { ctid, removed: true };
}
