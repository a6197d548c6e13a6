// Run host programs with argument arrays only (house rule: no shell strings).
import { spawn } from 'node:child_process';
import { VeError } from './errors';
import type { ProgramSpawner, SpawnOutcome } from '../exec/spawner';

export interface RunOptions {
  /** Bytes or text written to the child's stdin (passwords and scripts travel here, never in argv). */
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Do not throw on a non-zero exit; the caller inspects `code`. */
  allowFail?: boolean;
  /** Cap on captured output per stream (bytes). */
  maxOutput?: number;
  /** Told the child's pid once it runs (for a watchdog); the child is killed when `kill` is called. */
  onSpawn?: (pid: number, kill: () => void) => void;
}

export interface RunResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

let spawner: ProgramSpawner | undefined;

/**
 * Routes `run` through a spawn helper (the daemon installs one at start; see exec/spawner.ts), or
 * back to child_process in this process with `undefined`.
 */
export function useSpawner(s: ProgramSpawner | undefined): void {
  spawner = s;
}

export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  let o: SpawnOutcome;
  if (spawner?.usable) {
    try {
      o = await spawner.run(cmd, args, opts);
    } catch (e) {
      throw new VeError('INTERNAL', `cannot run ${cmd}: ${(e as Error).message}`);
    }
  } else {
    o = await spawnHere(cmd, args, opts);
  }
  const res: RunResult = {
    code: o.code ?? 128 + 9,
    signal: o.signal,
    stdout: o.stdout.toString('utf8'),
    stderr: o.stderr.toString('utf8'),
    timedOut: o.timedOut,
  };
  if (!opts.allowFail && (res.code !== 0 || res.timedOut)) {
    const why = res.timedOut ? `timed out after ${opts.timeoutMs} ms` : `exit ${res.code}`;
    throw new VeError('INTERNAL', `${cmd} ${args[0] ?? ''} failed (${why}): ${res.stderr.trim().slice(-500)}`, { cmd, code: res.code });
  }
  return res;
}

/** child_process in this process (no helper installed, or it keeps dying). */
function spawnHere(cmd: string, args: readonly string[], opts: RunOptions): Promise<SpawnOutcome> {
  const max = opts.maxOutput ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    if (child.pid && opts.onSpawn) opts.onSpawn(child.pid, () => child.kill('SIGKILL'));
    child.stdout.on('data', (b: Buffer) => { if (outLen < max) { out.push(b); outLen += b.length; } });
    child.stderr.on('data', (b: Buffer) => { if (errLen < max) { err.push(b); errLen += b.length; } });
    const timer = opts.timeoutMs
      ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs)
      : undefined;
    child.on('error', (e) => { if (timer) clearTimeout(timer); reject(new VeError('INTERNAL', `cannot run ${cmd}: ${e.message}`)); });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut });
    });
    // A child that exits before reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
