// One-time node preparation the agent needs as root: sub-id range for root, LXCFS, kernel knobs.
import { spawn } from 'node:child_process';
import { readFile, mkdir, appendFile, statfs } from 'node:fs/promises';
import { run } from '../sys/exec';
import { applyDensitySettings } from './density';

export const ROOT_SUBID_START = 1_000_000;
export const ROOT_SUBID_COUNT = 1_000_000_000;

export interface SubidRange { start: number; count: number }

/** Parse root's ranges out of /etc/subuid or /etc/subgid text. */
export function parseSubids(text: string, user = 'root'): SubidRange[] {
  return text.split('\n').map((l) => l.trim().split(':'))
    .filter((p) => p.length === 3 && (p[0] === user || p[0] === '0'))
    .map((p) => ({ start: Number(p[1]), count: Number(p[2]) }))
    .filter((r) => Number.isSafeInteger(r.start) && Number.isSafeInteger(r.count) && r.count > 0);
}

/** Ensure root owns a sub-id range in both files (adds `root:1000000:1000000000` if none). */
export async function ensureSubids(files = ['/etc/subuid', '/etc/subgid']): Promise<SubidRange> {
  let found: SubidRange | undefined;
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    const ranges = parseSubids(text);
    if (ranges.length === 0) {
      await appendFile(f, `${text && !text.endsWith('\n') ? '\n' : ''}root:${ROOT_SUBID_START}:${ROOT_SUBID_COUNT}\n`);
      found ??= { start: ROOT_SUBID_START, count: ROOT_SUBID_COUNT };
    } else {
      found ??= ranges.sort((a, b) => b.count - a.count)[0];
    }
  }
  return found!;
}

export async function lxcfsMounted(mnt = '/var/lib/lxcfs'): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === mnt && l.includes('fuse.lxcfs'));
}

const FUSE_SUPER_MAGIC = 0x65735546;

/**
 * LXCFS answers: a FUSE filesystem is mounted there and its meminfo can be read (a mount whose daemon
 * died fails with ENOTCONN). Asked at every VE start: statfs, not a read of the mount table, which
 * holds a line per VE.
 */
export async function lxcfsAlive(mnt = '/var/lib/lxcfs'): Promise<boolean> {
  if ((await statfs(mnt).catch(() => null))?.type !== FUSE_SUPER_MAGIC) return false;
  return readFile(`${mnt}/proc/meminfo`, 'utf8').then((t) => t.startsWith('MemTotal'), () => false);
}

/**
 * Start `lxcfs <mnt>` in the background unless a live one is mounted; waits until it answers.
 * A mount left by a dead LXCFS is detached first: LXC's lxcfs hook skips a dead mount silently,
 * and every VE started then would see the host's /proc/meminfo.
 */
export async function ensureLxcfs(mnt = '/var/lib/lxcfs'): Promise<void> {
  if (await lxcfsAlive(mnt)) return;
  while (await lxcfsMounted(mnt)) {
    await run('umount', ['-l', mnt]);
  }
  await mkdir(mnt, { recursive: true });
  // Detached so LXCFS outlives the agent: VEs depend on it, not on us.
  // A second LXCFS (tests) needs its own pidfile: the default one is locked by the node's.
  const pidfile = mnt === '/var/lib/lxcfs' ? [] : ['-p', `${mnt}.pid`];
  const child = spawn('lxcfs', ['--enable-loadavg', '--enable-cfs', ...pidfile, mnt], { detached: true, stdio: 'ignore' });
  child.unref();
  for (let i = 0; i < 100; i++) {
    if (await lxcfsAlive(mnt)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('lxcfs did not mount within 5 s');
}

/** Kernel limits met at density (BASELINES.md; setup/density.ts lists them). Only ever raises. */
export async function ensureSysctls(): Promise<string[]> {
  return applyDensitySettings();
}

/** Everything a node needs before the first VE starts. */
export async function ensureNodePrereqs(): Promise<{ subids: SubidRange }> {
  const subids = await ensureSubids();
  await ensureLxcfs();
  await ensureSysctls();
  // br_netfilter is not needed: anti-spoofing uses nftables' bridge family.
  await run('modprobe', ['-q', 'loop'], { allowFail: true }).catch(() => undefined);
  return { subids };
}
