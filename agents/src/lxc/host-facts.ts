// What this host's kernel and LXC offer, probed once: cgroup version and knobs, AppArmor.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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
  // VZ_LXCFS_BINDS=off keeps LXC's own LXCFS hooks (lxc-config.ts).
  cached.lxcfsMounts = process.env.VZ_LXCFS_BINDS !== 'off' && onlyLxcfsHooks(path.join(cached.lxcShare, 'config/common.conf.d'));
  // VZ_VE_CONSOLE_LOG=off: VEs without a console, so CRIU checkpoints of them can be restored (lxc-config.ts).
  if (process.env.VZ_VE_CONSOLE_LOG === 'off') cached.consoleLog = false;
  return cached;
}

const LXCFS_MOUNT_HOOK = 'lxc.hook.mount = /usr/share/lxcfs/lxc.mount.hook';
const LXCFS_HOOKS = new Set([LXCFS_MOUNT_HOOK, 'lxc.hook.post-stop = /usr/share/lxcfs/lxc.reboot.hook']);

/**
 * True when the hooks in LXC's common.conf.d (every `*.conf` there, which common.conf includes) are
 * LXCFS's mount hook and its reboot hook and nothing else: VE configs then replace them (lxc-config.ts,
 * HostFacts.lxcfsMounts). Any other hook there, or none, keeps common.conf.d as it is.
 */
export function onlyLxcfsHooks(dir: string): boolean {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.conf'));
  } catch {
    return false;
  }
  const hooks = files.flatMap((f) => readFileSafe(path.join(dir, f)).split('\n'))
    .map((l) => l.trim().replace(/\s*=\s*/, ' = '))
    .filter((l) => l.startsWith('lxc.hook'));
  return hooks.includes(LXCFS_MOUNT_HOOK) && hooks.every((h) => LXCFS_HOOKS.has(h));
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
