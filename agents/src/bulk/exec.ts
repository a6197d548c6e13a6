// bulk.exec: one script or command in many VEs of this node, a bounded number at a time.
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BulkItemResult } from '@/agents/protocol/methods/bulk';
import { runningWithLiveInit } from '../lxc/lxc-cli';
import { vePaths } from '../sys/paths';
import { fileEnds } from './file-tail';
import { BulkLauncher, LauncherGone } from './launcher';

export interface BulkExecInput {
  items: { ctid: number }[];
  command?: string[];
  script?: string;
  timeoutSec: number;
  concurrency: number;
  env?: Record<string, string>;
  tailBytes: number;
}

export interface BulkHooks {
  /** Called once per VE as soon as its result is known. */
  onItem(r: BulkItemResult): void;
  /** Takes the VE's lock; a busy VE becomes that VE's error. */
  lock?(ctid: number): { ok: true; release: () => void } | { ok: false; holder: { method: string; opId: string } };
  /** Aborted = start no more VEs (running ones finish). */
  signal: AbortSignal;
}

const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C' };

/** Folder holding each VE's full output of one bulk run: <ctid>.log (stdout) and <ctid>.err (stderr). */
export const bulkLogDir = (vzroot: string, runId: string) => path.join(vzroot, 'bulk', runId);

interface Run { vzroot: string; dir: string; launcher: BulkLauncher; i: BulkExecInput; hooks: BulkHooks }

export async function bulkExec(vzroot: string, runId: string, i: BulkExecInput, hooks: BulkHooks) {
  const dir = bulkLogDir(vzroot, runId);
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const t0 = Date.now();
  const results: BulkItemResult[] = [];
  const queue = [...new Map(i.items.map((x) => [x.ctid, x])).values()];
  // The script reaches every VE's /bin/sh as a file on stdin (written once, removed at the end).
  const stdinFile = i.script !== undefined ? path.join(dir, '.stdin') : '/dev/null';
  if (i.script !== undefined) await writeFile(stdinFile, i.script, { mode: 0o600 });
  const env = { ...BASE_ENV, ...i.env };
  const attachArgs = ['-P', path.join(vzroot, 'lxc'), '--clear-env', ...Object.entries(env).flatMap(([k, v]) => ['--set-var', `${k}=${v}`]), '--', ...(i.script !== undefined ? ['/bin/sh', '-s'] : i.command!)];
  const launcher = new BulkLauncher(dir, stdinFile, attachArgs, runId);
  const ctx: Run = { vzroot, dir, launcher, i, hooks };
  try {
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const r = hooks.signal.aborted ? blank(item.ctid, 'cancelled', 0, 'CANCELLED', 'cancelled before it started') : await oneVe(ctx, item.ctid);
        results.push(r);
        hooks.onItem(r);
      }
    };
    await Promise.all(Array.from({ length: Math.min(i.concurrency, queue.length) }, worker));
  } finally {
    await launcher.close();
    if (i.script !== undefined) await rm(stdinFile, { force: true });
  }
  const count = (s: BulkItemResult['state']) => results.filter((r) => r.state === s).length;
  results.sort((a, b) => a.ctid - b.ctid);
  return { total: results.length, ok: count('ok'), failed: count('failed'), errors: count('error'), cancelled: count('cancelled'), durationMs: Date.now() - t0, logDir: dir, items: results };
}

function blank(ctid: number, state: BulkItemResult['state'], durationMs: number, errorCode: string, error: string): BulkItemResult {
  return { ctid, state, exitCode: null, durationMs, stdoutTail: '', stderrTail: '', timedOut: false, errorCode, error };
}

async function oneVe({ vzroot, dir, launcher, i, hooks }: Run, ctid: number): Promise<BulkItemResult> {
  const t0 = Date.now();
  const lock = hooks.lock?.(ctid);
  if (lock && !lock.ok) return blank(ctid, 'error', 0, 'VE_LOCKED', `VE ${ctid} is busy with '${lock.holder.method}' (op ${lock.holder.opId})`);
  try {
    const p = vePaths(vzroot, ctid);
    if (!(await access(p.conf).then(() => true, () => false))) return blank(ctid, 'error', Date.now() - t0, 'NOT_FOUND', `VE ${ctid} does not exist on this node`);
    // Killed from the host when the time is up: no `timeout` process inside the VE.
    const r = await launcher.run(ctid, i.timeoutSec * 1000);
    const durationMs = Date.now() - t0;
    const [out, err] = await Promise.all([fileEnds(path.join(dir, `${ctid}.log`), 0, i.tailBytes), fileEnds(path.join(dir, `${ctid}.err`), 1024, i.tailBytes)]);
    // lxc-attach's own refusal: the VE is not running (no init pid to attach to).
    if (r.code !== 0 && /Failed to get init pid|not running/i.test(err.head) && /lxc-attach/.test(err.head)) {
      return { ...blank(ctid, 'error', durationMs, 'VE_NOT_RUNNING', `VE ${ctid} is not running`), stderrTail: err.tail };
    }
    // A failure we did not cause: the VE may have stopped under the command. Killed with it, the
    // command shows 128+9 as a rule, but lxc-attach may also lose its side and end 1 or 255.
    if (!r.killed && r.code !== 0 && !(await runningWithLiveInit(ctid, p.lxcpath))) {
      return { ...blank(ctid, 'error', durationMs, 'VE_STOPPED', `VE ${ctid} stopped while the command ran (exit ${r.code})`), exitCode: r.code, stdoutTail: out.tail, stderrTail: err.tail };
    }
    return { ctid, state: r.code === 0 && !r.killed ? 'ok' : 'failed', exitCode: r.code, durationMs, stdoutTail: out.tail, stderrTail: err.tail, timedOut: r.killed };
  } catch (e) {
    if (e instanceof LauncherGone) return blank(ctid, 'error', Date.now() - t0, 'LAUNCHER_DIED', `not run or not finished: ${e.message}`);
    return blank(ctid, 'error', Date.now() - t0, 'INTERNAL', (e as Error).message);
  } finally {
    if (lock?.ok) lock.release();
  }
}
