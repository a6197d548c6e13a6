// Checkpoint of a running unprivileged VE with CRIU, driven through lxc-checkpoint (issue 13).
// lxc-checkpoint, not criu by hand: only LXC's own restore leaves a VE that LXC (and so
// lxc-info, lxc-attach, lxc-stop and this agent) knows as running. CRIU's options that LXC does
// not pass travel in a CRIU config file (CRIU_CONFIG_FILE).
import { chmod, lstat, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VeError } from '../sys/errors';
import { run } from '../sys/exec';
import { vePaths } from '../sys/paths';
import { lxcFreeze, lxcState } from '../lxc/lxc-cli';
import { releaseRunningResources } from '../lxc/power';
import { readVe } from '../lxc/ve-store';
import type { Runtime } from '../lxc/runtime';
import { criuEnvPath, criuPath } from './bin';

export const dumpDirOf = (vzroot: string, ctid: number) => path.join(vzroot, 'dump', String(ctid));
/** CRIU config files stay on the host side (a dump folder may lie inside the VE's root). */
export const criuConfOf = (vzroot: string, ctid: number, what: 'dump' | 'restore') => path.join(vzroot, 'dump', `${ctid}.${what}.criu.conf`);

/** The checkpointable layout: LXC 5.0.2 cannot restore a VE that has a console (no console fd on restore). */
export async function assertCheckpointable(lxcConfig: string, ctid: number): Promise<void> {
  const text = await readFile(lxcConfig, 'utf8');
  if (!/^lxc\.console\.path = none$/m.test(text)) {
    throw new VeError('UNSUPPORTED', `VE ${ctid} has a console, and LXC 5.0.2 cannot restore a checkpoint of a VE with a console; run this node's agent with VZ_VE_CONSOLE_LOG=off and restart the VE`);
  }
  if (!criuPath()) throw new VeError('UNSUPPORTED', 'CRIU is not installed on this node (./vz install provides it)');
}

/** The last error lines of a CRIU log, for the message the admin sees. */
export async function criuLogTail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const errs = text.split('\n').filter((l) => /Error/.test(l) && !/RLIMIT_NOFILE|iptables|ip6tables|Address already assigned/.test(l));
  return errs.slice(-3).map((l) => l.replace(/^\(\d+\.\d+\)\s*/, '').trim()).join('; ') || text.trim().split('\n').slice(-2).join('; ');
}

export async function writeCriuConf(file: string, lines: string[]): Promise<void> {
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

export const lxcCheckpointEnv = (conf: string): NodeJS.ProcessEnv => ({ ...process.env, PATH: criuEnvPath(), CRIU_CONFIG_FILE: conf });

/**
 * Dumps running VE `ctid` into `dir` (fresh). `stop`: the VE ends with the dump (vzctl chkpnt);
 * otherwise it keeps running. On failure CRIU resumes the VE and the message carries its log.
 */
export async function checkpointVe(rt: Runtime, ctid: number, o: { stop: boolean; dir?: string; inRoot?: boolean }): Promise<{ ctid: number; file: string; ms: number; status: 'running' | 'stopped' }> {
  const c = await readVe(rt.vzroot, ctid);
  const p = vePaths(rt.vzroot, ctid);
  if ((await lxcState(ctid, p.lxcpath)) !== 'RUNNING') throw new VeError('VE_NOT_RUNNING', `VE ${ctid} is not running`);
  await assertCheckpointable(p.lxcConfig, ctid);
  const dir = o.dir ?? dumpDirOf(rt.vzroot, ctid);
  await mkdir(path.join(rt.vzroot, 'dump'), { recursive: true, mode: 0o700 });
  if (o.inRoot) {
    // A folder inside the VE's root: frozen first, so the tenant cannot swap it for a symlink under us
    // (CRIU dumps a frozen cgroup as it is).
    await lxcFreeze(ctid, p.lxcpath, true);
    const st = await lstat(dir).catch(() => null);
    if (st?.isSymbolicLink()) await unlink(dir);
    else if (st) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { mode: 0o700 });
  } else {
    await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
    await rm(dir, { recursive: true, force: true });
  }
  const conf = criuConfOf(rt.vzroot, ctid, 'dump');
  // nftables: this node has no iptables; tcp-established: open connections survive.
  await writeCriuConf(conf, ['network-lock nftables', 'tcp-established']);
  const t0 = Date.now();
  const args = ['-n', String(ctid), '-P', p.lxcpath, '-D', dir, ...(o.stop ? ['-s'] : [])];
  const r = await run('lxc-checkpoint', args, { env: lxcCheckpointEnv(conf), allowFail: true, timeoutMs: 300_000 });
  const ms = Date.now() - t0;
  if (r.code !== 0 || r.timedOut) {
    const why = await criuLogTail(path.join(dir, 'dump.log'));
    if (o.inRoot && (await lxcState(ctid, p.lxcpath)) === 'FROZEN') await lxcFreeze(ctid, p.lxcpath, false);
    // A killed or failed dump leaves the VE running (CRIU thaws it): the caller's VE is untouched.
    throw new VeError('INTERNAL', `checkpoint of VE ${ctid} failed${r.timedOut ? ' (timed out)' : ''}: ${why || r.stderr.trim().slice(-400)}`, { log: path.join(dir, 'dump.log') });
  }
  // The restored tasks open their images from inside the VE's user namespace: its root must read them.
  await run('chown', ['-R', `${c.idmap.uid}:${c.idmap.gid}`, dir]);
  await chmod(dir, 0o711);
  if (o.stop) {
    for (const end = Date.now() + 15_000; (await lxcState(ctid, p.lxcpath)) !== 'STOPPED' && Date.now() < end;) await new Promise((res) => setTimeout(res, 50));
    await releaseRunningResources(rt, ctid);
  }
  return { ctid, file: dir, ms, status: o.stop ? 'stopped' : 'running' };
}
