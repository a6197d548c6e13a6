// Before anything is installed: is the node an OS we support, with the kernel features LXC needs?
// The checks are pure functions over what the node reports, so each refusal is tested by itself.
import type { Client } from 'ssh2';
import { AppError } from '@/server/errors';
import { runRemote } from './remote';

/** Debian 11+ and Ubuntu 22.04+ (apt, LXC 4+/5, systemd or not). */
const SUPPORTED: Record<string, number> = { debian: 11, ubuntu: 22.04 };

function osField(text: string, key: string): string | undefined {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
  return m?.[1].trim().replace(/^["']|["']$/g, '');
}

/** null when supported, else the plain-words reason (names what was found). */
export function osProblem(osRelease: string | undefined): string | null {
  if (!osRelease?.trim()) return 'unsupported OS: /etc/os-release is missing, so the node is not a Debian or Ubuntu system';
  const id = osField(osRelease, 'ID')?.toLowerCase() ?? '';
  const version = Number(osField(osRelease, 'VERSION_ID') ?? 'NaN');
  const pretty = osField(osRelease, 'PRETTY_NAME') ?? (id || 'an unknown system');
  const min = SUPPORTED[id];
  if (min === undefined) return `unsupported OS: ${pretty} (the panel installs nodes on Debian 11+ or Ubuntu 22.04+)`;
  if (!Number.isFinite(version) || version < min) return `unsupported OS: ${pretty} is too old (needs ${id === 'debian' ? 'Debian 11' : 'Ubuntu 22.04'} or newer)`;
  return null;
}

export interface KernelFacts {
  /** /proc/cgroups content (controller, hierarchy, count, enabled). */
  cgroups: string;
  /** /proc/sys/user/max_user_namespaces, undefined when the file is absent (no user namespaces). */
  maxUserNamespaces: string | undefined;
}

/** The kernel features a VE needs that the node lacks (empty = fine). */
export function missingKernelFeatures(k: KernelFacts): string[] {
  const enabled = new Set(k.cgroups.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/)).filter((f) => f[3] === '1').map((f) => f[0]));
  const missing = ['memory', 'pids', 'cpu'].filter((c) => !enabled.has(c)).map((c) => `cgroup controller "${c}" (VE ${c === 'memory' ? 'RAM' : c === 'pids' ? 'process' : 'CPU'} limits)`);
  const userns = Number(k.maxUserNamespaces ?? 0);
  if (!(userns > 0)) missing.push('user namespaces (each VE runs unprivileged in its own uid range)');
  return missing;
}

/**
 * Reads /etc/os-release and the kernel's cgroup and user-namespace support over the admin
 * connection; refuses an unsupported OS or a missing kernel feature before anything is installed.
 */
export async function preflightNode(c: Client): Promise<{ os: string; kernel: string }> {
  const read = async (file: string) => {
    const r = await runRemote(c, ['cat', file], { timeoutMs: 20_000 });
    return r.code === 0 ? r.stdout : undefined;
  };
  const osRelease = await read('/etc/os-release');
  const os = osProblem(osRelease);
  if (os) throw new AppError('UNPROCESSABLE', os, { reason: 'UNSUPPORTED_OS', step: 'check OS and kernel' });
  const kernel = (await runRemote(c, ['uname', '-r'], { timeoutMs: 20_000 })).stdout.trim();
  const missing = missingKernelFeatures({ cgroups: (await read('/proc/cgroups')) ?? '', maxUserNamespaces: await read('/proc/sys/user/max_user_namespaces') });
  if (missing.length) {
    throw new AppError('UNPROCESSABLE', `missing kernel feature on ${kernel || 'the node'}: ${missing.join('; ')}`, { reason: 'KERNEL_FEATURE', step: 'check OS and kernel' });
  }
  return { os: osField(osRelease!, 'PRETTY_NAME') ?? 'unknown', kernel };
}
