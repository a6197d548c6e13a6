// Autostart of ONBOOT VEs when the daemon starts (OpenVZ's vz service did this at boot).
import { macForCtid, vethName } from '../config/schema';
import { portElements, refreshPortTable, type PortPolicy } from '../net/antispoof';
import { listVes } from './list';
import { withUndo } from '../sys/undo';
import { startVe } from './power';
import { readVe } from './ve-store';
import type { Runtime } from './runtime';

/**
 * Re-installs the port filter of every running VE in one nft transaction, with the table's rules. A VE keeps the filter it started with, so after an agent upgrade (new drops, e.g. IPv6
 * router advertisements, or the set-based layout) this brings running ones up to date. A VE whose
 * conf cannot be read keeps what the kernel had for its port.
 */
export async function refreshPortPolicies(rt: Runtime): Promise<{ ctid: number; error: string }[]> {
  const failed: { ctid: number; error: string }[] = [];
  const policies: PortPolicy[] = [];
  for (const ve of await listVes(rt)) {
    if (ve.status !== 'running' && ve.status !== 'suspended') continue;
    try {
      const c = await readVe(rt.vzroot, ve.ctid);
      const p = { veth: vethName(c.ctid), mac: c.mac ?? macForCtid(c.ctid), ips: c.ips };
      portElements(p); // throws on a MAC or address nft would refuse: that VE keeps what it had
      policies.push(p);
    } catch (e) {
      failed.push({ ctid: ve.ctid, error: (e as Error).message });
    }
  }
  // A VE whose conf could not be read keeps its filter in the first layout's table, if it has one there.
  await refreshPortTable(rt.bridge, policies, failed.length === 0);
  return failed;
}

/** Start every stopped VE marked onboot; one failure does not stop the others. */
export async function startOnbootVes(rt: Runtime): Promise<{ started: number[]; failed: { ctid: number; error: string }[] }> {
  const started: number[] = [];
  const failed: { ctid: number; error: string }[] = [];
  for (const ve of await listVes(rt)) {
    if (!ve.onboot || ve.status !== 'stopped') continue;
    try {
      await withUndo((u) => startVe(rt, ve.ctid, u));
      started.push(ve.ctid);
    } catch (e) {
      failed.push({ ctid: ve.ctid, error: (e as Error).message });
    }
  }
  return { started, failed };
}
