// Thin wrappers over the lxc-* tools (argument arrays only); LXC container name = ctid.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, type RunResult } from '../sys/exec';
import { processEnding } from '../sys/proc-stat';
import { payloadCgroupDir, readCg } from './cgroup-read';
import { hostFacts } from './host-facts';
import { VeError } from '../sys/errors';

export type LxcState = 'RUNNING' | 'STOPPED' | 'FROZEN' | 'STARTING' | 'STOPPING' | 'ABORTING' | 'FREEZING' | 'THAWED' | 'UNKNOWN';

/**
 * Fail closed: only a confirmed STOPPED lets the host follow paths inside a VE's root (its tenant
 * could swap any of them for a symlink at any moment while it runs). An lxc-info error, timeout,
 * UNKNOWN or a transition counts as running.
 */
export const confirmedStopped = (s: LxcState): boolean => s === 'STOPPED';

/** VE_RUNNING unless `st` is a confirmed STOPPED; `then` ends the message ("stop it first"). */
export function assertStopped(ctid: number, st: LxcState, then: string): void {
  if (confirmedStopped(st)) return;
  const is = st === 'RUNNING' || st === 'FROZEN' ? 'running' : `${st}, not confirmed stopped`;
  throw new VeError('VE_RUNNING', `VE ${ctid} is ${is}; ${then}`);
}

const n = (ctid: number, lxcpath: string) => ['-n', String(ctid), '-P', lxcpath];

export async function lxcState(ctid: number, lxcpath: string): Promise<LxcState> {
  const r = await run('lxc-info', [...n(ctid, lxcpath), '-sH'], { allowFail: true, timeoutMs: 15_000 });
  if (r.code !== 0) return 'UNKNOWN';
  return (r.stdout.trim() as LxcState) || 'UNKNOWN';
}

export async function lxcInitPid(ctid: number, lxcpath: string): Promise<number | undefined> {
  const r = await run('lxc-info', [...n(ctid, lxcpath), '-pH'], { allowFail: true, timeoutMs: 15_000 });
  const pid = Number(r.stdout.trim());
  return r.code === 0 && pid > 0 ? pid : undefined;
}

/** State and init pid in one lxc-info run (no pid while stopped). With two fields LXC 5 prints labels even with -H. */
export async function lxcStateAndPid(ctid: number, lxcpath: string): Promise<{ state: LxcState; pid?: number }> {
  const r = await run('lxc-info', [...n(ctid, lxcpath), '-s', '-p', '-H'], { allowFail: true, timeoutMs: 15_000 });
  if (r.code !== 0) return { state: 'UNKNOWN' };
  const lines = r.stdout.split('\n').map((l) => l.trim());
  const state = lines.map((l) => l.match(/^(?:State:\s*)?([A-Z]+)$/)?.[1]).find(Boolean) as LxcState | undefined;
  const pid = Number(lines.map((l) => l.match(/^(?:PID:\s*)?(\d+)$/)?.[1]).find(Boolean));
  return pid > 0 ? { state: state ?? 'UNKNOWN', pid } : { state: state ?? 'UNKNOWN' };
}

/**
 * A VE whose init is alive. LXC's monitor still answers RUNNING for a moment after init died (it
 * has not read the SIGCHLD yet; the window grows under load), while every process of the VE,
 * an attached command included, is already gone: init's own state settles it.
 */
export async function runningWithLiveInit(ctid: number, lxcpath: string): Promise<boolean> {
  const { state, pid } = await lxcStateAndPid(ctid, lxcpath);
  if (state !== 'RUNNING' && state !== 'FROZEN') return false;
  return pid === undefined || !(await processEnding(pid));
}

/** Names and states of every container under lxcpath, in one call. */
export async function lxcList(lxcpath: string): Promise<Map<number, LxcState>> {
  const r = await run('lxc-ls', ['-P', lxcpath, '-f', '-F', 'NAME,STATE'], { allowFail: true, timeoutMs: 60_000 });
  const out = new Map<number, LxcState>();
  for (const line of r.stdout.split('\n').slice(1)) {
    const [name, state] = line.trim().split(/\s+/);
    if (/^\d+$/.test(name ?? '')) out.set(Number(name), (state as LxcState) ?? 'UNKNOWN');
  }
  return out;
}

export async function lxcStart(ctid: number, lxcpath: string, logFile: string): Promise<void> {
  const r = await run('lxc-start', [...n(ctid, lxcpath), '-d', '-o', logFile, '-l', 'WARN'], { allowFail: true, timeoutMs: 60_000 });
  if (r.code !== 0) {
    // LXC's own reason is in its log, not on stderr.
    const log = await readFile(logFile, 'utf8').catch(() => '');
    const errors = log.split('\n').filter((l) => / ERROR /.test(l)).slice(-3).map((l) => l.replace(/^.*? ERROR\s+/, ''));
    throw new VeError('INTERNAL', `lxc-start ${ctid} failed: ${errors.join(' | ') || r.stderr.trim().split('\n').pop()}`, { log: logFile });
  }
}

/** Clean shutdown (SIGPWR to init) with a timeout, then kill. Returns how it stopped. */
export async function lxcStop(ctid: number, lxcpath: string, timeoutSec: number): Promise<'clean' | 'killed'> {
  if (timeoutSec > 0) {
    const t0 = Date.now();
    const r = await run('lxc-stop', [...n(ctid, lxcpath), '-t', String(timeoutSec)], { allowFail: true, timeoutMs: (timeoutSec + 30) * 1000 });
    // lxc-stop kills at the timeout and may still exit 0: a stop that took the whole timeout was a kill.
    if ((await lxcState(ctid, lxcpath)) === 'STOPPED') return r.code === 0 && Date.now() - t0 < timeoutSec * 1000 ? 'clean' : 'killed';
  }
  const k = await run('lxc-stop', [...n(ctid, lxcpath), '-k'], { allowFail: true, timeoutMs: 60_000 });
  if ((await lxcState(ctid, lxcpath)) !== 'STOPPED') {
    throw new VeError('VE_CANNOT_STOP', `VE ${ctid} did not stop: ${k.stderr.trim()}`);
  }
  return 'killed';
}

/**
 * Freeze or thaw with lxc-freeze/lxc-unfreeze, which also tell LXC's monitor the new state.
 * lxc-freeze writes FROZEN, reads the state back, and sleeps a whole second when the read still
 * says FREEZING: that put 1 s spikes into migration pauses here. So a freeze first writes FROZEN
 * to the VE's freezer cgroup itself and waits for it in 2 ms steps; lxc-freeze then finds it
 * frozen on its first read.
 */
export async function lxcFreeze(ctid: number, lxcpath: string, freeze: boolean, initPid?: number): Promise<void> {
  if (freeze) await freezeCgroup(initPid ?? (await lxcInitPid(ctid, lxcpath)));
  await run(freeze ? 'lxc-freeze' : 'lxc-unfreeze', n(ctid, lxcpath), { timeoutMs: 60_000 });
}

/** Writes the freeze to the cgroup of the VE whose init is `pid` (v1 freezer.state, v2 cgroup.freeze) and waits up to 5 s for it to settle. */
async function freezeCgroup(pid: number | undefined): Promise<void> {
  const dir = pid ? await payloadCgroupDir(pid, 'freezer') : undefined;
  if (!dir) return;
  const v2 = hostFacts().version === 'v2';
  const wrote = await writeFile(path.join(dir, v2 ? 'cgroup.freeze' : 'freezer.state'), v2 ? '1' : 'FROZEN').then(() => true, () => false);
  for (const end = Date.now() + 5_000; wrote && Date.now() < end;) {
    const done = v2 ? (await readCg(dir, 'cgroup.events'))?.split('\n').includes('frozen 1') : (await readCg(dir, 'freezer.state')) === 'FROZEN';
    if (done) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function lxcCgroupSet(ctid: number, lxcpath: string, key: string, value: string): Promise<void> {
  const r = await run('lxc-cgroup', [...n(ctid, lxcpath), '--', key, value], { allowFail: true, timeoutMs: 15_000 });
  if (r.code !== 0) throw new VeError('BAD_PARAMS', `cannot set ${key}=${value} on VE ${ctid}: ${r.stderr.trim() || 'kernel refused'}`);
}

export interface AttachOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
  maxOutput?: number;
}

// lxc-attach leaves the attached process in the agent's session (outside the VE's pid namespace);
// CRIU refuses to dump a VE holding such a process, so everything we start gets a session inside.
const NO_SETSID = /Failed to exec "setsid"/;

/**
 * Run argv inside the VE's namespaces and cgroup as the VE's root, with a clean environment,
 * as the leader of its own session inside the VE (plainly where the VE has no `setsid`).
 * On timeout the whole attached process tree is killed.
 */
export async function lxcAttach(ctid: number, lxcpath: string, argv: string[], o: AttachOptions = {}): Promise<RunResult> {
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C', ...o.env };
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['--set-var', `${k}=${v}`]);
  const attach = (inner: string[]) => run('lxc-attach', [...n(ctid, lxcpath), '--clear-env', ...envArgs, '--', ...inner], {
    input: o.input, timeoutMs: o.timeoutMs, allowFail: true, maxOutput: o.maxOutput,
  });
  const r = await attach(['setsid', ...argv]);
  // 127 from lxc-attach itself: setsid is missing, so the command never ran; run it as it is.
  return r.code === 127 && NO_SETSID.test(r.stderr) ? attach(argv) : r;
}
