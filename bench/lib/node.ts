// A throwaway bench node: /tmp/vz-bench-<rand>, bridge vzbn<rand4> on 10.199.9.0/24, the busybox
// template in the agent's cache, ctids 20000-29999. Cleans up everything it made, also on Ctrl-C.
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildBusyboxTemplate } from '@/agents/src/templates/busybox';
import { importTemplate, type CachedTemplate } from '@/agents/src/templates/cache';
import { deletePolicyTable } from '@/agents/src/net/antispoof';
import { deleteBridge, ensureBridge } from '@/agents/src/net/bridge';
import { deleteOverflowBridges } from '@/agents/src/net/overflow';
import { ensureNodePrereqs } from '@/agents/src/setup/node-prereqs';
import { detachUnmountedLoops } from '@/agents/src/storage/image';
import { run } from '@/agents/src/sys/exec';

export interface BenchNode {
  vzroot: string;
  bridge: string;
  /** lxcpath of the raw-LXC peer (the agent uses <vzroot>/lxc). */
  rawLxcpath: string;
  template: CachedTemplate;
  /** Consecutive free ctids from this run's random base. */
  ctids(n: number): number[];
  /** 10.199.9.<10+slot>/24 (slots are reused between phases; at most 240 VEs at once). */
  ip(slot: number): string;
  networks: string[];
  /** Registers extra cleanup (daemon stop, prototype mounts), run newest first before the node's own. */
  onCleanup(fn: () => Promise<void>): void;
  cleanup(): Promise<void>;
}

/** The `[lxc monitor] <lxcpath> <name>` processes of `lxcpath`: pid -> container name. */
async function monitorsOf(lxcpath: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const prefix = `[lxc monitor] ${lxcpath} `;
  for (const l of (await run('ps', ['-eo', 'pid=,args='], { allowFail: true })).stdout.split('\n')) {
    const m = /^\s*(\d+) (.*)$/.exec(l);
    if (m && m[2].startsWith(prefix)) out.set(Number(m[1]), m[2].slice(prefix.length).trim());
  }
  return out;
}

/** Kill every container under lxcpath (ignores errors). */
export async function killAll(lxcpath: string): Promise<void> {
  // Every container's init (its monitor's child) gets SIGKILL in one pass; the monitors then exit with
  // them. `lxc-stop -k` one by one, even six at a time, removed ~230 a minute of 5,000 containers.
  const mons = await monitorsOf(lxcpath);
  let left = mons;
  if (mons.size) {
    const kids = (await run('pgrep', ['-P', [...mons.keys()].join(',')], { allowFail: true })).stdout.split('\n').filter(Boolean);
    for (const pid of kids) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
    for (let i = 0; i < 240 && (left = await monitorsOf(lxcpath)).size; i++) await new Promise((r) => setTimeout(r, 500));
  }
  // The rest the slow way, six at a time: a container with no monitor then (stopped, or still starting)
  // and one whose monitor did not exit.
  const still = new Set(left.values());
  const ended = new Set([...mons.values()].filter((n) => !still.has(n)));
  const names = (await readdir(lxcpath).catch(() => [] as string[])).filter((d) => !ended.has(d));
  await Promise.all(Array.from({ length: 6 }, async () => {
    for (let d = names.shift(); d !== undefined; d = names.shift()) {
      await run('lxc-stop', ['-n', d, '-P', lxcpath, '-k'], { allowFail: true, timeoutMs: 30_000 });
    }
  }));
}

/** Unmount everything mounted under dir (deepest first) and detach loop devices of files under it. */
export async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1]).filter((m) => m && (m === dir || m.startsWith(dir + '/')));
  for (const m of mounts.sort((a, b) => b.length - a.length)) await run('umount', ['-l', m], { allowFail: true });
  await detachUnmountedLoops(dir);
}

export async function makeBenchNode(opts: { maxCtids: number }): Promise<BenchNode> {
  await ensureNodePrereqs();
  const rand = randomBytes(2).toString('hex');
  const vzroot = `/tmp/vz-bench-${rand}${randomBytes(2).toString('hex')}`;
  const bridge = `vzbn${rand}`;
  const rawLxcpath = path.join(vzroot, 'raw');
  const extra: (() => Promise<void>)[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= (async () => {
    for (const fn of extra.reverse()) await fn().catch((e) => process.stderr.write(`cleanup: ${(e as Error).message}\n`));
    // Two sweeps: after Ctrl-C a create/start still in flight can finish after the first one.
    for (let sweep = 0; sweep < 2; sweep++) {
      await killAll(path.join(vzroot, 'lxc'));
      await killAll(rawLxcpath);
      await unmountUnder(vzroot); // and detaches the loop devices of every image under it, in one listing
      if (sweep === 0) await new Promise((r) => setTimeout(r, 1000));
    }
    await deletePolicyTable(bridge);
    await deleteOverflowBridges(bridge);
    await deleteBridge(bridge);
    await rm(vzroot, { recursive: true, force: true });
  })());
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    // Stay subscribed: Ctrl-C reaches us twice (process group + tsx relaying it), and a second
    // SIGINT with no listener would kill us halfway through the cleanup.
    if (signalled) return;
    signalled = true;
    process.stderr.write(`\n${sig}: cleaning up ${vzroot} and ${bridge}...\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  await mkdir(vzroot, { mode: 0o711 });
  await chmod(vzroot, 0o711); // the VEs' mapped root must traverse to their lxcpath
  await mkdir(rawLxcpath, { mode: 0o711 });
  try {
    await ensureBridge(bridge, '10.199.9.1/24');
    const built = await buildBusyboxTemplate(path.join(vzroot, 'build'));
    const template = await importTemplate(vzroot, built.tarball, built.manifest);
    const base = randomInt(20000, 30000 - opts.maxCtids);
    let next = base;
    return {
      vzroot, bridge, rawLxcpath, template, networks: ['10.199.9.0/24'],
      ctids(n) {
        if (next + n > base + opts.maxCtids) throw new Error('bench ran out of ctids; raise maxCtids');
        const out = Array.from({ length: n }, (_, i) => next + i);
        next += n;
        return out;
      },
      ip: (slot) => {
        if (slot < 0 || slot > 239) throw new Error(`ip slot ${slot} out of range`);
        return `10.199.9.${10 + slot}/24`;
      },
      onCleanup: (fn) => void extra.push(fn),
      cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export const exists = (p: string): boolean => existsSync(p);
