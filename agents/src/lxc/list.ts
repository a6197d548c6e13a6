// vzlist: every VE on the node with its state and the fields vzlist users sort and filter on.
import { vePaths } from '../sys/paths';
import { lxcList } from './lxc-cli';
import { statusOf, type VeStatus } from './power';
import { listCtids, readVe } from './ve-store';
import type { Runtime } from './runtime';

export interface VeListItem {
  ctid: number; hostname: string; ips: string[]; status: VeStatus; ostemplate: string; onboot: boolean;
  ram: number; swap: number; diskspace: number; diskinodes: number; numproc: number; cpuunits: number; cpulimit: number; cpus: number;
  description?: string;
}

export async function listVes(rt: Runtime): Promise<VeListItem[]> {
  const states = await lxcList(vePaths(rt.vzroot, 0).lxcpath);
  const out: VeListItem[] = [];
  for (const ctid of await listCtids(rt.vzroot)) {
    const c = await readVe(rt.vzroot, ctid).catch(() => null);
    if (!c) continue;
    const st = statusOf(states.get(ctid) ?? 'STOPPED');
    out.push({
      ctid, hostname: c.hostname, ips: c.ips, status: st === 'unknown' ? 'stopped' : st, ostemplate: c.ostemplate, onboot: c.onboot,
      ram: c.ram, swap: c.swap, diskspace: c.diskspace, diskinodes: c.diskinodes, numproc: c.numproc, cpuunits: c.cpuunits,
      cpulimit: c.cpulimit, cpus: c.cpus, ...(c.description ? { description: c.description } : {}),
    });
  }
  return out;
}
