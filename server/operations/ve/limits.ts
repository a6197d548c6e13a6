// Panel limits (OpenVZ units: MiB, %) -> agent limits (bytes), in one place.
import type { Limits } from '@/server/services/plans/limits';

const MiB = 1024 * 1024;
// The panel's iolimit is MB/s (decimal, as disk vendors count); the agent wants bytes/s.
const MB = 1_000_000;
// The panel's bandwidth is Mbit/s (decimal, as port speeds are sold); the agent wants bits/s.
const Mbit = 1_000_000;

export function agentLimits(l: Partial<Limits>) {
  const out: Record<string, number> = {};
  if (l.ram !== undefined) out.ram = l.ram * MiB;
  if (l.swap !== undefined) out.swap = l.swap * MiB;
  if (l.diskspace !== undefined) out.diskspace = l.diskspace * MiB;
  if (l.iolimit !== undefined) out.iolimit = l.iolimit * MB;
  if (l.bandwidth !== undefined) out.bandwidth = l.bandwidth * Mbit;
  for (const k of ['diskinodes', 'cpuunits', 'cpulimit', 'cpus', 'numproc', 'ioprio', 'iopslimit'] as const) {
    if (l[k] !== undefined) out[k] = l[k];
  }
  return out;
}

/** Agent limits (bytes, bytes/s) -> panel units; the inverse of agentLimits. Not rounded: a node value off the panel's grid shows as drift. */
export function panelLimits(a: { [K in 'ram' | 'swap' | 'diskspace' | 'iolimit' | 'iopslimit' | 'bandwidth' | 'diskinodes' | 'cpuunits' | 'cpulimit' | 'cpus' | 'numproc' | 'ioprio']?: number }): Partial<Limits> {
  const out: Partial<Limits> = {};
  if (a.ram !== undefined) out.ram = a.ram / MiB;
  if (a.swap !== undefined) out.swap = a.swap / MiB;
  if (a.diskspace !== undefined) out.diskspace = a.diskspace / MiB;
  if (a.iolimit !== undefined) out.iolimit = a.iolimit / MB;
  if (a.bandwidth !== undefined) out.bandwidth = a.bandwidth / Mbit;
  for (const k of ['diskinodes', 'cpuunits', 'cpulimit', 'cpus', 'numproc', 'ioprio', 'iopslimit'] as const) {
    if (a[k] !== undefined) out[k] = a[k];
  }
  return out;
}
