// vzctl exec/exec2/runscript: a command (argv) or a script (stdin to /bin/sh) inside a running VE.
import { VeError } from '../sys/errors';
import { vePaths } from '../sys/paths';
import { lxcAttach, lxcState } from './lxc-cli';
import { readVe } from './ve-store';
import type { Runtime } from './runtime';

export interface ExecInput {
  ctid: number;
  /** argv to run; or omit and pass `script`. */
  command?: string[];
  /** Shell script for /bin/sh, sent on stdin (never interpolated into argv). */
  script?: string;
  /** stdin for `command` (ignored with `script`). */
  stdin?: string;
  timeoutSec?: number;
  env?: Record<string, string>;
}

export interface ExecResult { exitCode: number; stdout: string; stderr: string; timedOut: boolean }

export async function execInVe(rt: Runtime, i: ExecInput): Promise<ExecResult> {
  await readVe(rt.vzroot, i.ctid);
  const p = vePaths(rt.vzroot, i.ctid);
  const st = await lxcState(i.ctid, p.lxcpath);
  if (st !== 'RUNNING') throw new VeError('VE_NOT_RUNNING', `VE ${i.ctid} is ${st === 'FROZEN' ? 'suspended' : 'not running'}`);
  if (!i.command?.length && i.script === undefined) throw new VeError('BAD_PARAMS', 'give a command or a script');
  const timeoutSec = i.timeoutSec ?? 300;
  // The timeout runs inside too (`timeout -s KILL`), so the VE's process dies with the call instead of lingering.
  const inner = i.script !== undefined ? ['/bin/sh', '-s'] : i.command!;
  const argv = ['timeout', '-s', 'KILL', String(timeoutSec), ...inner];
  const t0 = Date.now();
  const opts = { input: i.script ?? i.stdin ?? '', timeoutMs: (timeoutSec + 5) * 1000, env: i.env, maxOutput: 8 * 1024 * 1024 };
  let r = await lxcAttach(i.ctid, p.lxcpath, argv, opts);
  // A VE without `timeout`: run plainly; the host-side timeout still ends the call.
  if (r.code === 127 && /exec "timeout"|execute '?timeout'?:|timeout: not found/.test(r.stderr)) r = await lxcAttach(i.ctid, p.lxcpath, inner, opts);
  const timedOut = r.timedOut || (r.code === 137 && Date.now() - t0 >= timeoutSec * 1000 - 50);
  return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr, timedOut };
}
