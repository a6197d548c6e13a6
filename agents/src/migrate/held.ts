// The final pass opened before the freeze (issue 15): an rsync with `--files-from=-` is started while
// the VE still runs, so its SSH session, the target's forced command (login shell, `vzagent
// rsync-recv`, node) and both rsync processes are up and waiting before the pause. In the pause the
// change list is written to its stdin and closed; rsync then lists, sends and ends as a fresh one would.
// A held pass that died meanwhile (its receiver's --timeout, a dropped connection) is not used: the
// caller runs a fresh rsync instead, which converges on the same frozen tree.
import { spawn, type ChildProcess } from 'node:child_process';
import { VeError } from '../sys/errors';
import { openChannel } from './channel';
import { rsyncOptions, type SendTarget } from './send';

const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;
/** How long arm waits for the target's receiver to answer; past it the pass stays held but may still be connecting. */
const READY_WAIT_MS = 60_000;
/** A held pass nobody used (the panel died between arm and freeze) is killed after this. */
const HOLD_MS = 15 * 60_000;
/** The final copy's own bound once the list is written (as rsyncTo's). */
const RUN_MS = 6 * 3600_000;
const MAX_OUT = 1024 * 1024;
// rsync prints this (--info=flist1) when it starts reading the list: the server has answered by then.
const READY = 'building file list';

export interface HeldOutcome { code: number; stdout: string; stderr: string; ms: number }

interface Held { child: ChildProcess; out: { stdout: string; stderr: string }; ended: Promise<number>; exited: boolean; timer: NodeJS.Timeout }

const held = new Map<string, Held>();
const keyOf = (vzroot: string, ctid: number) => `${vzroot}\0${ctid}`;

/** Kills the held rsync with its ssh child (own process group). */
function kill(h: Held): void {
  clearTimeout(h.timer);
  if (h.exited || !h.child.pid) return;
  try { process.kill(-h.child.pid, 'SIGKILL'); } catch { /* already gone */ }
}

/** True when a held final pass of `ctid` is waiting (tests, diagnostics). */
export const finalPassHeld = (vzroot: string, ctid: number): boolean => {
  const h = held.get(keyOf(vzroot, ctid));
  return !!h && !h.exited;
};

/** The pid of the held rsync (tests: it must be gone after an abort). */
export const heldPid = (vzroot: string, ctid: number): number | undefined => held.get(keyOf(vzroot, ctid))?.child.pid;

/** Ends a held final pass of `ctid` (abort, finish, re-arm); no-op when none is held. */
export async function dropFinalPass(vzroot: string, ctid: number): Promise<void> {
  const key = keyOf(vzroot, ctid);
  const h = held.get(key);
  if (!h) return;
  held.delete(key);
  kill(h);
  await h.ended;
}

/**
 * Starts the final pass of `root` to the target and holds it before its file list. Resolves once
 * rsync reads the list (the receiver on the target runs), or after READY_WAIT_MS. `ready` false:
 * it ended early (the caller's final pass then runs a fresh rsync) or is still connecting.
 */
export async function armFinalPass(vzroot: string, ctid: number, root: string, t: SendTarget, privateKey: string, bwlimitKBps = 0): Promise<{ ready: boolean; ms: number }> {
  if (!SAFE_PATH.test(root) || !SAFE_PATH.test(t.root)) throw new VeError('BAD_PARAMS', 'paths must be plain absolute paths');
  const t0 = Date.now();
  await dropFinalPass(vzroot, ctid);
  const ssh = await openChannel(vzroot, ctid, t, privateKey);
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  // The same options as a fresh final pass (rsyncOptions with --whole-file), the list from stdin.
  const args = [...rsyncOptions(bwlimitKBps, '-', true), '--info=flist1', '-e', ssh.join(' '), `${root}/`, `${host}:${t.root}/`];
  const child = spawn('rsync', args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' } as unknown as NodeJS.ProcessEnv });
  const out = { stdout: '', stderr: '' };
  let onReady = () => {};
  const readyP = new Promise<void>((resolve) => { onReady = resolve; });
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    if (out.stdout.length < MAX_OUT) out.stdout += s;
    if (out.stdout.includes(READY)) onReady();
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { if (out.stderr.length < MAX_OUT) out.stderr += s; });
  child.stdin.on('error', () => {}); // it may end before the list is written
  const h: Held = { child, out, exited: false, timer: setTimeout(() => void dropFinalPass(vzroot, ctid), HOLD_MS).unref(), ended: Promise.resolve(0) };
  h.ended = new Promise<number>((resolve) => {
    child.on('error', () => { h.exited = true; resolve(127); });
    child.on('close', (c) => { h.exited = true; clearTimeout(h.timer); onReady(); resolve(c ?? 137); });
  });
  held.set(keyOf(vzroot, ctid), h);
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([readyP, new Promise<void>((resolve) => { waited = setTimeout(resolve, READY_WAIT_MS); })]);
  clearTimeout(waited);
  return { ready: !h.exited && out.stdout.includes(READY), ms: Date.now() - t0 };
}

/**
 * Hands `list` (names relative to the root, as changes.ts makes them) to the held final pass of
 * `ctid` and waits for it to end. Undefined when none is held or it already ended: run a fresh one.
 */
export async function useFinalPass(vzroot: string, ctid: number, list: string[]): Promise<HeldOutcome | undefined> {
  const key = keyOf(vzroot, ctid);
  const h = held.get(key);
  if (!h) return undefined;
  held.delete(key);
  clearTimeout(h.timer);
  if (h.exited) return undefined;
  const t0 = Date.now();
  const bound = setTimeout(() => kill(h), RUN_MS);
  h.child.stdin!.end(list.length ? list.join('\0') + '\0' : '');
  const code = await h.ended.finally(() => clearTimeout(bound));
  return { code, stdout: h.out.stdout, stderr: h.out.stderr, ms: Date.now() - t0 };
}
