// bulk.exec: one script or command in many VEs of this node, a bounded number at a time.
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BulkItemResult } from '@/agents/protocol/methods/bulk';
import { vePaths } from '../sys/paths';
import { attachToLog } from './attach';

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

/** Folder holding each VE's full output of one bulk run. */
export const bulkLogDir = (vzroot: string, runId: string) => path.join(vzroot, 'bulk', runId);

export async function bulkExec(vzroot: string, runId: string, i: BulkExecInput, hooks: BulkHooks) {
  const dir = bulkLogDir(vzroot, runId);
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const t0 = Date.now();
  const results: BulkItemResult[] = [];
  const queue = [...new Map(i.items.map((x) => [x.ctid, x])).values()];
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const r = hooks.signal.aborted ? blank(item.ctid, 'cancelled', 0, 'CANCELLED', 'cancelled before it started') : await oneVe(vzroot, dir, item.ctid, i, hooks);
      results.push(r);
      hooks.onItem(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(i.concurrency, queue.length) }, worker));
  const count = (s: BulkItemResult['state']) => results.filter((r) => r.state === s).length;
  results.sort((a, b) => a.ctid - b.ctid);
  return { total: results.length, ok: count('ok'), failed: count('failed'), errors: count('error'), cancelled: count('cancelled'), durationMs: Date.now() - t0, logDir: dir, items: results };
}

function blank(ctid: number, state: BulkItemResult['state'], durationMs: number, errorCode: string, error: string): BulkItemResult {
  return { ctid, state, exitCode: null, durationMs, stdoutTail: '', stderrTail: '', timedOut: false, errorCode, error };
}

async function oneVe(vzroot: string, dir: string, ctid: number, i: BulkExecInput, hooks: BulkHooks): Promise<BulkItemResult> {
  const t0 = Date.now();
  const lock = hooks.lock?.(ctid);
  if (lock && !lock.ok) return blank(ctid, 'error', 0, 'VE_LOCKED', `VE ${ctid} is busy with '${lock.holder.method}' (op ${lock.holder.opId})`);
  try {
    const p = vePaths(vzroot, ctid);
    if (!(await access(p.conf).then(() => true, () => false))) return blank(ctid, 'error', Date.now() - t0, 'NOT_FOUND', `VE ${ctid} does not exist on this node`);
    const env = { ...BASE_ENV, ...i.env };
    const head = ['-n', String(ctid), '-P', p.lxcpath, '--clear-env', ...Object.entries(env).flatMap(([k, v]) => ['--set-var', `${k}=${v}`]), '--'];
    const inner = i.script !== undefined ? ['/bin/sh', '-s'] : i.command!;
    const input = i.script ?? '';
    const logFile = path.join(dir, `${ctid}.log`);
    const hostTimeout = (i.timeoutSec + 5) * 1000;
    // The timeout also runs inside (`timeout -s KILL`), so the VE's process dies with the call.
    let r = await attachToLog([...head, 'timeout', '-s', 'KILL', String(i.timeoutSec), ...inner], input, logFile, i.tailBytes, hostTimeout);
    if (r.code === 127 && /exec "timeout"|timeout: not found/.test(r.stderrHead)) r = await attachToLog([...head, ...inner], input, logFile, i.tailBytes, hostTimeout);
    const durationMs = Date.now() - t0;
    // lxc-attach's own refusal: the VE is not running (no init pid to attach to).
    if (r.code !== 0 && /Failed to get init pid|not running/i.test(r.stderrHead) && /lxc-attach/.test(r.stderrHead)) {
      return { ...blank(ctid, 'error', durationMs, 'VE_NOT_RUNNING', `VE ${ctid} is not running`), stderrTail: r.stderrTail };
    }
    const timedOut = r.killed || (r.code === 137 && durationMs >= i.timeoutSec * 1000 - 50);
    const exitCode = r.code ?? 137;
    return { ctid, state: exitCode === 0 && !timedOut ? 'ok' : 'failed', exitCode, durationMs, stdoutTail: r.stdoutTail, stderrTail: r.stderrTail, timedOut };
  } catch (e) {
    return blank(ctid, 'error', Date.now() - t0, 'INTERNAL', (e as Error).message);
  } finally {
    if (lock?.ok) lock.release();
  }
}
