// Restore of a VE from its CRIU checkpoint through lxc-checkpoint -r, so LXC runs it as its own.
// What LXC 5.0.2 gets wrong for our VE layout, and what this does about it (measured here):
// - it binds lxc.rootfs.path plainly, ignoring `idmap=container`: the restore config points at an
//   idmapped, relatime bind of the root made by vz-idmap-mount (CRIU re-applies the VE's relatime);
// - it passes `--lsm-profile apparmor:unconfined` on a kernel without AppArmor: dropped;
// - CRIU's veth creation through its userns daemon trips over the host's own eth0 (EOPNOTSUPP):
//   the agent makes the pair and CRIU only moves the VE's end in (`external netdev[eth0]:...`).
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { vethName, macForCtid } from '../config/schema';
import { applyPortPolicy } from '../net/antispoof';
import { ensureBridge } from '../net/bridge';
import { pickBridge, pruneOverflowBridges } from '../net/overflow';
import { ensureLxcfs } from '../setup/node-prereqs';
import { mountImage, mountPointSource, unmountImage } from '../storage/image';
import { VeError } from '../sys/errors';
import { run } from '../sys/exec';
import { vePaths } from '../sys/paths';
import type { Undo } from '../sys/undo';
import { applyIoThrottle } from '../lxc/io-limits';
import { lxcInitPid, lxcState } from '../lxc/lxc-cli';
import { payloadCgroupDir } from '../lxc/cgroup-read';
import { hostFacts } from '../lxc/host-facts';
import { readVe, writeVe } from '../lxc/ve-store';
import type { Runtime } from '../lxc/runtime';
import { CRIU_PREFIX } from './bin';
import { assertCheckpointable, criuConfOf, criuLogTail, dumpDirOf, lxcCheckpointEnv, writeCriuConf } from './ve-checkpoint';

/** The LXC config LXC's restore can use: the idmapped bind as a plain root, no AppArmor profile. */
export function restoreConfig(text: string, idmappedRoot: string): string {
  return text.split('\n')
    .filter((l) => !/^lxc\.rootfs\.options\s*=/.test(l) && !/^lxc\.apparmor\./.test(l))
    .map((l) => (/^lxc\.rootfs\.path\s*=/.test(l) ? `lxc.rootfs.path = dir:${idmappedRoot}` : l))
    .join('\n');
}

async function thawCgroup(ctid: number, lxcpath: string): Promise<void> {
  const pid = await lxcInitPid(ctid, lxcpath);
  const v2 = hostFacts().version === 'v2';
  const dir = pid ? await payloadCgroupDir(pid, v2 ? '' : 'freezer') : undefined;
  if (dir) await writeFile(path.join(dir, v2 ? 'cgroup.freeze' : 'freezer.state'), v2 ? '0' : 'THAWED').catch(() => undefined);
}

/** lxc-checkpoint -r: its child stays on as the VE's monitor and keeps our pipes, so wait for exit, not close. */
function lxcRestore(args: string[], env: NodeJS.ProcessEnv, logFile: string, timeoutMs: number): Promise<{ code: number | null; timedOut: boolean }> {
  const fd = openSync(logFile, 'w', 0o600);
  return new Promise((resolve) => {
    const child = spawn('lxc-checkpoint', args, { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.once('error', () => { clearTimeout(timer); resolve({ code: null, timedOut }); });
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, timedOut }); });
  });
}

/**
 * Restores stopped VE `ctid` from `dir` (default <vzroot>/dump/<ctid>): processes, memory and
 * connections; its port filter, I/O limits and config come back as at a start. A failure leaves
 * the VE stopped and the host as it was (veth, mounts, LXC config).
 */
export async function restoreVe(rt: Runtime, ctid: number, undo: Undo, o: { dir?: string } = {}): Promise<{ ctid: number; status: 'running'; ms: number }> {
  const c = await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  const st = await lxcState(ctid, p.lxcpath);
  if (st === 'RUNNING' || st === 'FROZEN') throw new VeError('VE_RUNNING', `VE ${ctid} is already running`);
  const t0 = Date.now();
  await ensureBridge(rt.bridge);
  const port = await pickBridge(rt.bridge, ctid); // the main bridge or an overflow one, as at a start
  undo.push('release the bridge port', async () => { port.release(); await pruneOverflowBridges(rt.bridge); });
  await ensureLxcfs();
  await writeVe(rt.vzroot, c, port.bridge); // this node's bridge and id range (after a migration)
  await assertCheckpointable(p.lxcConfig, ctid);
  const wasMounted = !!(await mountPointSource(p.root));
  await mountImage(p.image, p.root, undo);
  if (!wasMounted) undo.push(`unmount ${p.root}`, () => unmountImage(p.image, p.root));
  // (a migration's dump travels inside the VE's root, so it can only be looked for once that is mounted)
  const dir = o.dir ?? dumpDirOf(rt.vzroot, ctid);
  if (!existsSync(path.join(dir, 'inventory.img'))) throw new VeError('NOT_FOUND', `no checkpoint of VE ${ctid} in ${dir}`);
  // Readable by this node's id range (a dump made on another node belongs to that node's range).
  await run('chown', ['-R', `${c.idmap.uid}:${c.idmap.gid}`, dir]);

  const idm = path.join(p.lxcDir, 'criu-root');
  await mkdir(idm, { recursive: true, mode: 0o711 });
  await run(path.join(CRIU_PREFIX, 'sbin', 'vz-idmap-mount'), [p.root, idm, String(c.idmap.uid), '65536']);
  // The VE keeps its own copy of the mount; the host's goes as soon as the restore is over, either way.
  const dropIdm = async () => { await run('umount', ['-l', idm], { allowFail: true }); await rmdir(idm).catch(() => undefined); };

  const veth = vethName(ctid);
  const peer = `vzr${ctid}`;
  await run('ip', ['link', 'del', veth], { allowFail: true }); // a leftover of a failed attempt
  await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', peer]);
  const normal = await readFile(p.lxcConfig, 'utf8');
  const conf = criuConfOf(rt.vzroot, ctid, 'restore');
  try {
    await writeFile(p.lxcConfig, restoreConfig(normal, idm), { mode: 0o600 });
    await mkdir(path.dirname(conf), { recursive: true, mode: 0o700 });
    // tcp-established on restore too: CRIU refuses an image with a connected socket without it.
    await writeCriuConf(conf, [`external netdev[eth0]:${peer}`, 'tcp-established']);
    const log = path.join(p.lxcDir, 'restore.out');
    const r = await lxcRestore(['-r', '-n', String(ctid), '-P', p.lxcpath, '-D', dir], lxcCheckpointEnv(conf), log, 300_000);
    if (r.code !== 0 || (await lxcState(ctid, p.lxcpath)) !== 'RUNNING') {
      const why = await criuLogTail(path.join(dir, 'restore.log'));
      throw new VeError('INTERNAL', `restore of VE ${ctid} failed${r.timedOut ? ' (timed out)' : ''}: ${why || (await readFile(log, 'utf8').catch(() => '')).trim().slice(-400)}`, { log: path.join(dir, 'restore.log') });
    }
  } catch (e) {
    await run('ip', ['link', 'del', veth], { allowFail: true });
    throw e;
  } finally {
    port.release();
    await writeFile(p.lxcConfig, normal, { mode: 0o600 });
    await dropIdm();
  }
  // A dump of a frozen VE (migration freezes before it dumps) is restored frozen, and LXC, which
  // believes it RUNNING, will not thaw it (lxc-unfreeze does nothing): thaw its cgroup directly.
  await thawCgroup(ctid, p.lxcpath);
  await applyPortPolicy(rt.bridge, { veth, mac: c.mac ?? macForCtid(ctid), ips: c.ips });
  if (c.iolimit > 0 || c.iopslimit > 0) await applyIoThrottle(ctid, p, c);
  return { ctid, status: 'running', ms: Date.now() - t0 };
}
