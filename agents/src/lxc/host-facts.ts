// What this host's kernel and LXC offer, probed once: cgroup version and knobs, AppArmor.
import { existsSync, readFileSync } from 'node:fs';
import { parseCpuList } from '../config/cgroup-map';
import type { HostFacts } from '../config/lxc-config';

let cached: HostFacts | undefined;

export function hostFacts(): HostFacts {
  if (cached) return cached;
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  cached = v2
    ? {
        version: 'v2',
        memsw: false,
        ioWeight: existsSync('/sys/fs/cgroup/io.weight') || existsSync('/sys/fs/cgroup/init.scope/io.weight'),
        apparmor: existsSync('/sys/kernel/security/apparmor'),
        lxcShare: '/usr/share/lxc',
      }
    : {
        version: 'v1',
        memsw: existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
        // CFQ's blkio.weight is gone since 5.0; BFQ's knob exists only while the bfq scheduler is loaded.
        ioWeight: existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight'),
        bfqWeight: !existsSync('/sys/fs/cgroup/blkio/blkio.weight') && existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight'),
        apparmor: existsSync('/sys/kernel/security/apparmor'),
        lxcShare: '/usr/share/lxc',
      };
  // v2: only where the cpuset controller is handed down to children (else LXC could not write it).
  const cpusetOk = !v2 || readFileSafe('/sys/fs/cgroup/cgroup.subtree_control').split(/\s+/).includes('cpuset');
  if (cpusetOk) cached.onlineCpus = onlineCpus();
  // VZ_VE_CONSOLE_LOG=off: VEs without a console, so CRIU checkpoints of them can be restored (lxc-config.ts).
  if (process.env.VZ_VE_CONSOLE_LOG === 'off') cached.consoleLog = false;
  return cached;
}

const readFileSafe = (f: string) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

// Unknown (no sysfs) = no cpuset: `cpus` then caps by CFS quota only.
function onlineCpus(): number[] | undefined {
  try {
    return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
  } catch {
    return undefined;
  }
}
