// Panel limits (OpenVZ units: MiB, %) -> agent limits (bytes), in one place.
import type { Limits } from '@/server/services/plans/limits';

const MiB = 1024 * 1024;

export function agentLimits(l: Partial<Limits>) {
  const out: Record<string, number> = {};
  if (l.ram !== undefined) out.ram = l.ram * MiB;
  if (l.swap !== undefined) out.swap = l.swap * MiB;
  if (l.diskspace !== undefined) out.diskspace = l.diskspace * MiB;
  for (const k of ['diskinodes', 'cpuunits', 'cpulimit', 'cpus', 'numproc', 'ioprio'] as const) {
    if (l[k] !== undefined) out[k] = l[k];
  }
  return out;
}
