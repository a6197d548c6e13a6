// A just-started VE's init pid from its payload cgroup: file reads instead of an `lxc-info` run
// after `lxc-start -d` (which returns only once the VE is RUNNING). Undefined whenever the answer
// is not certain; the caller then asks lxc-info.
import path from 'node:path';
import { procStat } from '../sys/proc-stat';
import { cgroupPids } from './cgroup-read';
import { hostFacts } from './host-facts';

const parentOf = async (pid: number): Promise<number | undefined> => {
  const ppid = Number((await procStat(pid))?.[1]);
  return ppid > 0 ? ppid : undefined;
};

/**
 * The one process in `lxc.payload.<ctid>` whose parent is outside it (LXC's monitor forked init;
 * everything else in there descends from init). A stale, empty cgroup of that name (LXC then
 * used `lxc.payload.<ctid>-<n>`), payloads placed below another cgroup, or two candidates all
 * give undefined.
 */
export async function payloadInitPid(ctid: number): Promise<number | undefined> {
  const v2 = hostFacts().version === 'v2';
  const dir = path.join('/sys/fs/cgroup', v2 ? '' : 'pids', `lxc.payload.${ctid}`);
  const pids = new Set(await cgroupPids(dir));
  if (pids.size === 0) return undefined;
  const roots: number[] = [];
  for (const pid of pids) {
    const ppid = await parentOf(pid);
    if (ppid !== undefined && !pids.has(ppid)) roots.push(pid);
  }
  return roots.length === 1 ? roots[0] : undefined;
}
