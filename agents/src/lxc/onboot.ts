// Autostart of ONBOOT VEs when the daemon starts (OpenVZ's vz service did this at boot).
import { listVes } from './list';
import { startVe } from './power';
import type { Runtime } from './runtime';

/** Start every stopped VE marked onboot; one failure does not stop the others. */
export async function startOnbootVes(rt: Runtime): Promise<{ started: number[]; failed: { ctid: number; error: string }[] }> {
  const started: number[] = [];
  const failed: { ctid: number; error: string }[] = [];
  for (const ve of await listVes(rt)) {
    if (!ve.onboot || ve.status !== 'stopped') continue;
    try {
      await startVe(rt, ve.ctid);
      started.push(ve.ctid);
    } catch (e) {
      failed.push({ ctid: ve.ctid, error: (e as Error).message });
    }
  }
  return { started, failed };
}
