// vzlist: every VE on the node with its state and the fields vzlist users sort and filter on.
import { vePaths } from '../sys/paths';
import { lxcList, lxcState } from './lxc-cli';
import type { VeConfig } from '../config/schema';
import { statusOf, type VeStatus } from './power';
import { listCtids, readVe } from './ve-store';
import type { Runtime } from './runtime';

export interface VeListItem {
  ctid: number; hostname: string; ips: string[]; status: VeStatus; ostemplate: string; onboot: boolean;
  ram: number; swap: number; diskspace: number; diskinodes: number; numproc: number; cpuunits: number; cpulimit: number; cpus: number; ioprio: number;
  iolimit: number; iopslimit: number; bandwidth: number; throttle: number; nameservers: string[];
  description?: string;
}

/** One VE as vzlist shows it. */
/** `known`: a status the caller just observed, which saves an lxc-info run. */
export async function veInfo(rt: Runtime, ctid: number, known?: VeStatus): Promise<VeListItem> {
  const c = await readVe(rt.vzroot, ctid);
  const st = known ?? statusOf(await lxcState(ctid, vePaths(rt.vzroot, ctid).lxcpath));
  return veItem(c, st);
}

export function veItem(c: VeConfig, st: VeStatus): VeListItem {
  return {
    ctid: c.ctid, hostname: c.hostname, ips: c.ips, status: st === 'unknown' ? 'stopped' : st, ostemplate: c.ostemplate, onboot: c.onboot,
    ram: c.ram, swap: c.swap, diskspace: c.diskspace, diskinodes: c.diskinodes, numproc: c.numproc, cpuunits: c.cpuunits,
    cpulimit: c.cpulimit, cpus: c.cpus, ioprio: c.ioprio, iolimit: c.iolimit, iopslimit: c.iopslimit, bandwidth: c.bandwidth, throttle: c.throttle, nameservers: c.nameservers, ...(c.description ? { description: c.description } : {}),
  };
}

export async function listVes(rt: Runtime): Promise<VeListItem[]> {
  const states = await lxcList(vePaths(rt.vzroot, 0).lxcpath);
  const out: VeListItem[] = [];
  for (const ctid of await listCtids(rt.vzroot)) {
    const c = await readVe(rt.vzroot, ctid).catch(() => null);
    if (!c) continue;
    out.push(veItem(c, statusOf(states.get(ctid) ?? 'STOPPED')));
  }
  return out;
}
