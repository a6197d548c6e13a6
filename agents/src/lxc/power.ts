// Start, stop, restart, suspend/resume and status of a VE (LXC name = ctid, lxcpath = <vzroot>/lxc).
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { vethName, macForCtid } from '../config/schema';
import { applyPortPolicy, removePortPolicy } from '../net/antispoof';
import { ensureBridge } from '../net/bridge';
import { pickBridge, pruneOverflowBridges } from '../net/overflow';
import { applyShaping, effectiveRate, removeShaping } from '../net/shaping';
import { ensureLxcfs } from '../setup/node-prereqs';
import { mountImage, mountPointSource, unmountImage } from '../storage/image';
import { VeError } from '../sys/errors';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { applyIoThrottle } from './io-limits';
import { payloadInitPid } from './init-pid';
import { lxcFreeze, lxcStart, lxcState, lxcStateAndPid, lxcStop, type LxcState } from './lxc-cli';
import { readVe, writeVe } from './ve-store';
import { clearRebootNote } from './stop-hook';
import type { Runtime } from './runtime';

export type VeStatus = 'running' | 'stopped' | 'suspended' | 'starting' | 'stopping' | 'unknown';

export function statusOf(s: LxcState): VeStatus {
  switch (s) {
    case 'RUNNING': return 'running';
    case 'STOPPED': return 'stopped';
    case 'FROZEN': case 'FREEZING': return 'suspended';
    case 'STARTING': return 'starting';
    case 'STOPPING': case 'ABORTING': return 'stopping';
    default: return 'unknown';
  }
}

export interface StatusResult { ctid: number; exists: boolean; status: VeStatus; mounted: boolean; pid?: number }

export async function veStatus(rt: Runtime, ctid: number): Promise<StatusResult> {
  const p = vePaths(rt.vzroot, ctid);
  const exists = await readVe(rt.vzroot, ctid).then(() => true, () => false);
  if (!exists) return { ctid, exists, status: 'stopped', mounted: false };
  const sp = await lxcStateAndPid(ctid, p.lxcpath);
  const st = statusOf(sp.state);
  const pid = st === 'running' || st === 'suspended' ? sp.pid : undefined;
  return { ctid, exists, status: st === 'unknown' ? 'stopped' : st, mounted: !!(await mountPointSource(p.root)), ...(pid ? { pid } : {}) };
}

/** Polls until RUNNING (one `lxc-info -s -p` per try): the state and init pid, or undefined after `ms`. */
async function waitRunning(ctid: number, lxcpath: string, ms: number): Promise<{ state: LxcState; pid?: number } | undefined> {
  for (const end = Date.now() + ms; ;) {
    const sp = await lxcStateAndPid(ctid, lxcpath);
    if (sp.state === 'RUNNING') return sp;
    if (Date.now() >= end) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Start a stopped VE: mount its image, install its port filter, lxc-start, wait for RUNNING.
 * `fresh`: the VE was just created (or committed by a migration) under the same lock, so it cannot be running yet.
 */
export async function startVe(rt: Runtime, ctid: number, undo: Undo, opts: { fresh?: boolean; policyReady?: boolean } = {}): Promise<StatusResult> {
  const c = await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const st = opts.fresh ? 'STOPPED' : await lxcState(ctid, p.lxcpath);
  if (st === 'RUNNING' || st === 'FROZEN') throw new VeError('VE_RUNNING', `VE ${ctid} is already running`);
  await ensureBridge(rt.bridge);
  // The main bridge, or an overflow bridge on the same segment once it is full (BRIDGE_FULL past all of them).
  const port = await pickBridge(rt.bridge, ctid);
  undo.push('release the bridge port', async () => { port.release(); await pruneOverflowBridges(rt.bridge); });
  // LXCFS must be up before the VE starts: its mount hook runs only at start.
  await ensureLxcfs();
  // Re-render so a changed bridge or host (after migration) is picked up (a fresh VE's was just written
  // with the main bridge: re-rendered only when it goes to an overflow bridge).
  if (!opts.fresh || port.bridge !== rt.bridge) await writeVe(rt.vzroot, c, port.bridge);
  const mounted = !!(await mountPointSource(p.root));
  if (!mounted) {
    await mountImage(p.image, p.root, undo);
    undo.push(`unmount ${p.root}`, () => unmountImage(p.image, p.root));
  }
  const init = await lstat(path.join(p.root, 'sbin/init')).catch(() => null);
  if (!init) throw new VeError('VE_NO_INIT', `VE ${ctid} has no /sbin/init`);
  // policyReady: a migration target applied this VE's filter before the pause (migrate/target.ts).
  if (!opts.policyReady) await applyPortPolicy(rt.bridge, { veth: vethName(ctid), mac: c.mac ?? macForCtid(ctid), ips: c.ips });
  undo.push(`remove port filter of ${ctid}`, () => removePortPolicy(rt.bridge, vethName(ctid)));
  await clearRebootNote(rt.vzroot, ctid);
  rt.progress?.(50, 'starting');
  try {
    await lxcStart(ctid, p.lxcpath, path.join(p.lxcDir, 'lxc.log'));
  } finally {
    port.release(); // its veth is on the bridge now (sysfs counts it) or the start failed
  }
  undo.push(`kill VE ${ctid}`, () => lxcStop(ctid, p.lxcpath, 0));
  // `lxc-start -d` exits 0 only once the VE runs, so the init pid comes from its payload cgroup
  // (file reads); only when that is not certain does `lxc-info` confirm RUNNING and give it.
  const initPid = await payloadInitPid(ctid);
  const sp = initPid ? { state: 'RUNNING' as const, pid: initPid } : await waitRunning(ctid, p.lxcpath, 15_000);
  if (!sp) throw new VeError('INTERNAL', `VE ${ctid} did not reach RUNNING (see ${path.join(p.lxcDir, 'lxc.log')})`);
  // Throttle rules name the loop device, known only now (it changes with every mount).
  if (c.iolimit > 0 || c.iopslimit > 0) await applyIoThrottle(ctid, p, c);
  // The veth is new at every start: its rate caps (plan bandwidth, quota throttle) go on now.
  const rate = effectiveRate(c.bandwidth, c.throttle);
  if (rate > 0) await applyShaping(ctid, rate);
  return { ctid, exists: true, status: 'running', mounted: true, ...(sp.pid ? { pid: sp.pid } : {}) };
}

/** Stop: clean shutdown with a timeout, then kill; then drop the port filter and unmount. */
export async function stopVe(rt: Runtime, ctid: number, opts: { timeoutSec?: number; fast?: boolean } = {}): Promise<StatusResult & { how: 'clean' | 'killed' }> {
  await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const st = await lxcState(ctid, p.lxcpath);
  if (st === 'STOPPED' || st === 'UNKNOWN') throw new VeError('VE_NOT_RUNNING', `VE ${ctid} is not running`);
  if (st === 'FROZEN') await lxcFreeze(ctid, p.lxcpath, false);
  const how = await lxcStop(ctid, p.lxcpath, opts.fast ? 0 : (opts.timeoutSec ?? 30));
  await clearRebootNote(rt.vzroot, ctid); // a stop asked for now wins over a reboot asked for before it
  await releaseRunningResources(rt, ctid);
  return { ...(await veStatus(rt, ctid)), how };
}

/** After a VE stopped (by us or from inside): port filter off, filesystem unmounted. */
export async function releaseRunningResources(rt: Runtime, ctid: number): Promise<void> {
  const p = vePaths(rt.vzroot, ctid);
  await removePortPolicy(rt.bridge, vethName(ctid));
  await removeShaping(ctid);
  await unmountImage(p.image, p.root);
  await pruneOverflowBridges(rt.bridge);
}

export async function restartVe(rt: Runtime, ctid: number, undo: Undo, opts: { timeoutSec?: number } = {}): Promise<StatusResult> {
  const st = await lxcState(ctid, vePaths(rt.vzroot, ctid).lxcpath);
  if (st === 'RUNNING' || st === 'FROZEN') await stopVe(rt, ctid, opts);
  return startVe(rt, ctid, undo);
}

export async function suspendVe(rt: Runtime, ctid: number): Promise<StatusResult> {
  await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const { state: st, pid } = await lxcStateAndPid(ctid, p.lxcpath);
  if (st === 'FROZEN') return veStatus(rt, ctid);
  if (st !== 'RUNNING') throw new VeError('VE_NOT_RUNNING', `VE ${ctid} is not running`);
  await lxcFreeze(ctid, p.lxcpath, true, pid);
  return veStatus(rt, ctid);
}

export async function resumeVe(rt: Runtime, ctid: number): Promise<StatusResult> {
  await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const st = await lxcState(ctid, p.lxcpath);
  if (st === 'RUNNING') return veStatus(rt, ctid);
  if (st !== 'FROZEN') throw new VeError('VE_NOT_RUNNING', `VE ${ctid} is not suspended`);
  await lxcFreeze(ctid, p.lxcpath, false);
  return veStatus(rt, ctid);
}
