// Source side: describe the VE, freeze it for the final copy, hand it over, or thaw it on abort.
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cgroupPids, payloadCgroupDir, readCg } from '../lxc/cgroup-read';
import { hostFacts } from '../lxc/host-facts';
import { releaseIdRange } from '../lxc/idmap';
import { lxcFreeze, lxcState, lxcStateAndPid, lxcStop } from '../lxc/lxc-cli';
import { releaseRunningResources, veStatus, type VeStatus } from '../lxc/power';
import { confGone, readVe } from '../lxc/ve-store';
import type { Runtime } from '../lxc/runtime';
import { processExited, procStat } from '../sys/proc-stat';
import { diskUsage, mountImage, mountPointSource, unmountImage } from '../storage/image';
import { VeError } from '../sys/errors';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { closeChannel } from './channel';
import { dropBaseline } from './changes';
import { dropFinalPass } from './held';
import { dropManifestCache } from './manifest';
import { migratedName, readSourceMarker, removeSourceMarker, writeSourceMarker } from './state';

export async function describeVe(rt: Runtime, ctid: number) {
  const c = await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const s = await veStatus(rt, ctid);
  const { idmap: _idmap, ...config } = c;
  // A read: never mounts. A stopped VE's use is estimated by the image's allocated blocks.
  const usage = await diskUsage(p.root);
  const img = await stat(p.image);
  return {
    ctid, status: s.status, config: config as Record<string, unknown>,
    imageBytes: img.size, usedBytes: usage?.usedBytes ?? img.blocks * 512, usedInodes: usage?.usedInodes ?? 0,
  };
}

/** Runs fn with the VE's root mounted; a stopped VE is mounted for the call and unmounted after. */
export async function withRootMounted<T>(rt: Runtime, ctid: number, undo: Undo, fn: (root: string) => Promise<T>): Promise<T> {
  const p = vePaths(rt.vzroot, ctid);
  if (await mountPointSource(p.root)) return fn(p.root);
  await mountImage(p.image, p.root, undo);
  try {
    return await fn(p.root);
  } finally {
    const st = await lxcState(ctid, p.lxcpath);
    if (st !== 'RUNNING' && st !== 'FROZEN') await unmountImage(p.image, p.root);
  }
}

// The running VE's init as migrate.armFinal saw it, so the freeze in the pause need not ask LXC.
const armedInits = new Map<string, { pid: number; start: string }>();
const initKey = (vzroot: string, ctid: number) => `${vzroot}\0${ctid}`;

/** Before the pause: remember the running VE's init (pid and start time) for freezeForMigration. */
export async function noteRunningInit(rt: Runtime, ctid: number): Promise<'RUNNING' | string> {
  const { state, pid } = await lxcStateAndPid(ctid, vePaths(rt.vzroot, ctid).lxcpath);
  const start = pid ? await procStart(pid) : undefined;
  if (state === 'RUNNING' && pid && start) armedInits.set(initKey(rt.vzroot, ctid), { pid, start });
  return state;
}

/** The remembered init, while it is the same process (pid and start time) in a thawed freezer cgroup. */
async function rememberedInit(rt: Runtime, ctid: number): Promise<number | undefined> {
  const k = initKey(rt.vzroot, ctid);
  const a = armedInits.get(k);
  armedInits.delete(k);
  if (!a || (await procStart(a.pid)) !== a.start || hostFacts().version !== 'v1') return undefined;
  return (await readCg(await payloadCgroupDir(a.pid, 'freezer'), 'freezer.state')) === 'THAWED' ? a.pid : undefined;
}

/** Freezes a running VE (marker first, so a crash in between still lets abortSource thaw it). */
export async function freezeForMigration(rt: Runtime, ctid: number): Promise<{ ctid: number; frozen: boolean; ms: number }> {
  const t0 = Date.now();
  await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const known = await rememberedInit(rt, ctid);
  const { state: st, pid } = known ? { state: 'RUNNING', pid: known } : await lxcStateAndPid(ctid, p.lxcpath);
  const marker = await readSourceMarker(rt.vzroot, ctid);
  if (st === 'FROZEN' && marker?.frozen) return { ctid, frozen: true, ms: 0 };
  if (st === 'FROZEN') throw new VeError('VE_NOT_RUNNING', `VE ${ctid} is suspended; resume it before migrating`);
  if (st !== 'RUNNING') return { ctid, frozen: false, ms: 0 };
  const pidStart = pid ? await procStart(pid) : undefined;
  await writeSourceMarker(rt.vzroot, { ctid, frozen: true, at: new Date().toISOString(), ...(pid && pidStart ? { pid, pidStart } : {}) });
  await lxcFreeze(ctid, p.lxcpath, true, pid);
  return { ctid, frozen: true, ms: Date.now() - t0 };
}

/** Thaws the VE if this migration froze it; it keeps running here. */
export async function abortSource(rt: Runtime, ctid: number): Promise<{ ctid: number; thawed: boolean; status: VeStatus }> {
  const marker = await readSourceMarker(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  let thawed = false;
  if (marker?.frozen && (await lxcState(ctid, p.lxcpath)) === 'FROZEN') {
    await lxcFreeze(ctid, p.lxcpath, false);
    thawed = true;
  }
  await removeSourceMarker(rt.vzroot, ctid);
  dropManifestCache(p.root);
  dropBaseline(p.root);
  armedInits.delete(initKey(rt.vzroot, ctid));
  await dropFinalPass(rt.vzroot, ctid);
  await closeChannel(rt.vzroot, ctid);
  const s = await veStatus(rt, ctid).catch(() => ({ status: 'unknown' as const }));
  return { ctid, thawed, status: s.status };
}

/** Start time of `pid` (/proc stat field 22, clock ticks since boot): tells a reused pid from the one recorded. */
async function procStart(pid: number): Promise<string | undefined> {
  return (await procStat(pid))?.[19];
}

/**
 * The VE's state and init as this migration froze it, read from the marker and /proc instead of
 * `lxc-info` (a process start inside the pause): only while that same init (pid and start time)
 * still sits in a frozen cgroup; anything else asks LXC.
 */
async function frozenByUs(rt: Runtime, ctid: number): Promise<{ state: string; pid?: number; cg?: string }> {
  const m = await readSourceMarker(rt.vzroot, ctid);
  if (m?.frozen && m.pid && m.pidStart && (await procStart(m.pid)) === m.pidStart) {
    const cg = await payloadCgroupDir(m.pid, 'freezer');
    if (cg && (await readCg(cg, 'freezer.state')) === 'FROZEN') return { state: 'FROZEN', pid: m.pid, cg };
  }
  const { state, pid } = await lxcStateAndPid(ctid, vePaths(rt.vzroot, ctid).lxcpath);
  return { state, pid, cg: pid && pid > 1 && state === 'FROZEN' ? await payloadCgroupDir(pid, 'freezer') : undefined };
}

/**
 * Kills the VE while it is still frozen: SIGKILL goes to every process of its cgroup, and a frozen
 * task with a pending SIGKILL dies on thaw without running another instruction, so the source copy
 * kept as .migrated is exactly the verified one (killing init alone let other processes write on
 * until the namespace went). Returns once init has exited, without waiting for LXC's own teardown
 * (finishSource does that, outside the pause).
 */
export async function stopSource(rt: Runtime, ctid: number): Promise<{ ctid: number; ms: number }> {
  const t0 = Date.now();
  const p = vePaths(rt.vzroot, ctid);
  const { state: st, pid = 0, cg } = await frozenByUs(rt, ctid);
  if (st === 'STOPPED' || st === 'UNKNOWN') return { ctid, ms: 0 };
  const victims = cg ? await cgroupPids(cg) : [];
  for (const v of new Set([pid, ...victims])) {
    if (v > 1) try { process.kill(v, 'SIGKILL'); } catch { /* already gone */ }
  }
  // The thaw goes to the cgroup itself (v1: the dir is the VE's freezer); `lxc-unfreeze` only when
  // that fails. LXC's monitor follows init's exit either way. The kernel may already have let the
  // killed init go (the thaw then finds no container).
  const thawed = cg && hostFacts().version === 'v1' ? await writeFile(path.join(cg, 'freezer.state'), 'THAWED').then(() => true, () => false) : false;
  if (st === 'FROZEN' && !thawed) await lxcFreeze(ctid, p.lxcpath, false).catch(() => undefined);
  for (const end = Date.now() + 5000; pid > 1 && Date.now() < end;) {
    if (await processExited(pid)) return { ctid, ms: Date.now() - t0 };
    await new Promise((res) => setTimeout(res, 5));
  }
  await lxcStop(ctid, p.lxcpath, 0);
  return { ctid, ms: Date.now() - t0 };
}

/**
 * Hands the VE over: kill it while still frozen (nothing runs after the verified final copy),
 * drop its port filter and mount, move the private area and conf to `<ctid>.migrated-<ts>`, free
 * its id range. Idempotent: a repeat after success reports the existing `.migrated` copy.
 */
export async function finishSource(rt: Runtime, ctid: number, keepHours: number) {
  const t0 = Date.now();
  const p = vePaths(rt.vzroot, ctid);
  // The copy is done either way: the connection to the target goes first.
  await dropFinalPass(rt.vzroot, ctid);
  await closeChannel(rt.vzroot, ctid);
  const c = await readVe(rt.vzroot, ctid).catch(() => null);
  if (!c) {
    const done = await latestMigrated(rt.vzroot, ctid);
    if (done) return { ...done, ms: 0 };
    throw new VeError('VE_NOT_FOUND', `VE ${ctid} does not exist on this node`);
  }
  await stopSource(rt, ctid);
  // LXC's teardown (monitor, cgroups, veth) may still be running after the kill: let it finish.
  for (const end = Date.now() + 10_000; Date.now() < end && (await lxcState(ctid, p.lxcpath)) !== 'STOPPED';) await new Promise((res) => setTimeout(res, 20));
  await releaseRunningResources(rt, ctid);
  const at = new Date();
  const name = migratedName(ctid, at);
  const dest = path.join(path.dirname(p.private), name);
  const keepUntil = new Date(at.getTime() + keepHours * 3600_000).toISOString();
  await rename(p.private, dest);
  await writeFile(path.join(dest, 'migrated.json'), JSON.stringify({ ctid, migratedAt: at.toISOString(), keepUntil }) + '\n', { mode: 0o600 });
  await rename(p.conf, path.join(dest, 've.conf'));
  await confGone(rt.vzroot, ctid);
  await rm(p.lxcDir, { recursive: true, force: true });
  await releaseIdRange(rt.vzroot, c.idmap.uid);
  await removeSourceMarker(rt.vzroot, ctid);
  dropManifestCache(p.root);
  dropBaseline(p.root);
  return { ctid, migratedName: name, keepUntil, ms: Date.now() - t0 };
}

async function latestMigrated(vzroot: string, ctid: number): Promise<{ ctid: number; migratedName: string; keepUntil: string } | undefined> {
  const names = (await readdir(path.join(vzroot, 'private')).catch(() => [] as string[])).filter((n) => n.startsWith(`${ctid}.migrated-`)).sort();
  const name = names.at(-1);
  if (!name) return undefined;
  const meta = JSON.parse(await readFile(path.join(vzroot, 'private', name, 'migrated.json'), 'utf8').catch(() => '{}')) as { keepUntil?: string };
  return { ctid, migratedName: name, keepUntil: meta.keepUntil ?? new Date().toISOString() };
}

/** Deletes a kept `<ctid>.migrated-<ts>` copy (the delayed cleanup task). */
export async function purgeMigrated(rt: Runtime, ctid: number, name: string): Promise<{ ctid: number; name: string; removed: boolean }> {
  if (!name.startsWith(`${ctid}.migrated-`) || name.includes('/')) throw new VeError('BAD_PARAMS', `${name} is not a kept copy of VE ${ctid}`, { field: 'name' });
  const dir = path.join(rt.vzroot, 'private', name);
  const there = !!(await stat(dir).catch(() => null));
  if (there) {
    // A copy someone mounted by hand keeps its loop device: detach before deleting.
    await unmountImage(path.join(dir, 'root.img'), path.join(rt.vzroot, 'root', name)).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  return { ctid, name, removed: there };
}
