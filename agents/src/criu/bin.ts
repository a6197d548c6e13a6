// Which CRIU this node uses, and a self-test of what it can really do (issue 13).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../sys/exec';

/** Where `./vz install` puts the CRIU it builds (scripts/criu-install.sh); the packaged one otherwise. */
export const CRIU_PREFIX = process.env.VZ_CRIU_PREFIX ?? '/usr/local/lib/vzpanel/criu';

export function criuPath(): string | undefined {
  const built = path.join(CRIU_PREFIX, 'sbin', 'criu');
  if (existsSync(built)) return built;
  for (const d of (process.env.PATH ?? '').split(':').concat(['/usr/local/sbin', '/usr/sbin', '/sbin'])) {
    if (d && existsSync(path.join(d, 'criu'))) return path.join(d, 'criu');
  }
  return undefined;
}

/** PATH for tools that exec `criu` by name (lxc-checkpoint): ours first. */
export function criuEnvPath(): string {
  const bin = criuPath();
  const rest = process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return bin ? `${path.dirname(bin)}:${rest}` : rest;
}

export interface CriuAbilities {
  path: string;
  version: string;
  /** A real dump and restore of a throwaway process worked. */
  dump: boolean;
  restore: boolean;
  /** Iterative memory pre-dump needs soft-dirty page tracking (CONFIG_MEM_SOFT_DIRTY). */
  preDump: boolean;
  /** userfaultfd: post-copy (lazy pages) restore. */
  lazyPages: boolean;
  /** How CRIU locks the network during a dump. */
  networkLock: 'nftables' | 'iptables' | 'none';
  /** Why a part does not work, one line per part. */
  notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const tail = (s: string) => s.trim().split('\n').filter((l) => /Error/.test(l)).slice(-2).join(' ') || s.trim().split('\n').at(-1) || '';

/** Dumps and restores a throwaway `sleep` in its own session; kills it afterwards. */
async function selfTest(bin: string): Promise<{ dump: boolean; restore: boolean; why?: string }> {
  const dir = await mkdtemp('/var/tmp/vz-criu-probe-');
  // detached: a session of its own (CRIU dumps a session leader with its session only)
  const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  const pid = child.pid!;
  child.unref();
  try {
    const d = await run(bin, ['dump', '-t', String(pid), '-D', dir, '-o', 'dump.log', '-v1'], { allowFail: true, timeoutMs: 30_000 });
    if (d.code !== 0 || d.timedOut) {
      const log = await run('cat', [path.join(dir, 'dump.log')], { allowFail: true });
      return { dump: false, restore: false, why: `dump of a test process fails${d.timedOut ? ' (timed out)' : ''}: ${tail(log.stdout)}` };
    }
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(20);
    const r = await run(bin, ['restore', '-D', dir, '-d', '-o', 'restore.log', '-v1'], { allowFail: true, timeoutMs: 30_000 });
    if (r.code !== 0 || !alive(pid)) {
      const log = await run('cat', [path.join(dir, 'restore.log')], { allowFail: true });
      return { dump: true, restore: false, why: `restore of a test process fails: ${tail(log.stdout)}` };
    }
    return { dump: true, restore: true };
  } finally {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    await rm(dir, { recursive: true, force: true });
  }
}

const feature = async (bin: string, name: string) => {
  const r = await run(bin, ['check', '--feature', name], { allowFail: true, timeoutMs: 30_000 });
  return { ok: r.code === 0 && !/is OFF|not supported|will not work/i.test(r.stderr + r.stdout), out: `${r.stderr}${r.stdout}` };
};

/** What this node's CRIU can do, measured (call after `criu check` passed). */
export async function criuAbilities(bin: string): Promise<CriuAbilities> {
  const v = await run(bin, ['--version'], { allowFail: true, timeoutMs: 10_000 });
  const version = /Version:\s*(\S+)/.exec(v.stdout)?.[1] ?? 'unknown';
  // CRIU's own kernel probes can lose a race under load (kerndat: "Continue after SIGSTOP.. Urr
  // what?"), and one lost race would mark the node unable to checkpoint until the agent restarts.
  let test = await selfTest(bin);
  for (let i = 0; i < 2 && !(test.dump && test.restore); i++) test = await selfTest(bin);
  const [soft, uffd, nft] = await Promise.all([feature(bin, 'mem_dirty_track'), feature(bin, 'uffd-noncoop'), feature(bin, 'network_lock_nftables')]);
  const notes: string[] = [];
  if (test.why) notes.push(test.why);
  if (!soft.ok) notes.push('pre-dump: the kernel has no soft-dirty page tracking (CONFIG_MEM_SOFT_DIRTY), so iterative memory pre-dump is impossible');
  if (!uffd.ok) notes.push('lazy pages: userfaultfd is not available');
  return {
    path: bin, version, dump: test.dump, restore: test.restore, preDump: soft.ok, lazyPages: uffd.ok,
    networkLock: nft.ok ? 'nftables' : existsSync('/usr/sbin/iptables-restore') ? 'iptables' : 'none', notes,
  };
}
