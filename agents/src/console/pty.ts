// A login shell inside a VE on a real terminal: util-linux `script` gives lxc-attach a host pty
// (node-pty is not available), lxc-attach gives the shell a pty inside the VE and forwards resizes.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { clampSize } from '@/agents/protocol/console';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// Runs inside the VE: root's login shell from /etc/passwd (bash on Debian, sh on busybox), in /root.
const LOGIN = 'shell=$(sed -n "s|^root:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:||p" /etc/passwd); [ -x "$shell" ] || shell=/bin/sh; cd /root 2>/dev/null || cd /; exec "$shell" -l';

export interface VePty {
  /** Host pid of the shell inside the VE (leader of the session the console owns). */
  readonly shellPid: number;
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Ends the session: the shell's whole session inside the VE, then lxc-attach and script. */
  kill(): Promise<void>;
  child: ChildProcessWithoutNullStreams;
  /** Resolves when `script` has exited. */
  exited: Promise<{ code: number | null; signal: string | null }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function sessionOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after "comm)": state ppid pgrp session ...
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  } catch {
    return undefined;
  }
}

/** First child of `pid` that satisfies `ok` (polling: children appear after a fork or two). */
async function waitChild(pid: number, ms: number, ok: (c: number) => boolean = () => true): Promise<number | undefined> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) {
    const c = childrenOf(pid).find(ok);
    if (c) return c;
  }
  return undefined;
}

/** Host pids whose session id is `sid` (the console shell and everything it started in the foreground or background). */
export function sessionMembers(sid: number): number[] {
  const out: number[] = [];
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    if (sessionOf(Number(ent)) === sid) out.push(Number(ent));
  }
  return out;
}

const tryKill = (pid: number, sig: NodeJS.Signals) => {
  try { process.kill(pid, sig); } catch { /* gone */ }
};

/**
 * Starts `/bin/sh -l` (root's login shell) in running VE `ctid` under a pty of `cols` x `rows`.
 * `script` only takes a command string, so that one string is built here from a validated integer
 * and single-quoted arguments; everything typed later travels as terminal bytes, never as argv.
 */
export async function openVePty(ctid: number, lxcpath: string, size: { cols: number; rows: number }): Promise<VePty> {
  if (!Number.isInteger(ctid) || ctid < 100) throw new Error(`bad ctid ${ctid}`);
  if (!lxcpath.startsWith('/') || /[\0\n]/.test(lxcpath)) throw new Error('bad lxcpath');
  const argv = [
    'lxc-attach', '-n', String(ctid), '-P', lxcpath, '--clear-env',
    '--set-var', `PATH=${PATH}`, '--set-var', 'HOME=/root', '--set-var', 'TERM=xterm-256color', '--set-var', 'LANG=C.UTF-8',
    '--', '/bin/sh', '-c', LOGIN,
  ];
  let want = clampSize(size.cols, size.rows);
  // the host pty gets its size before lxc-attach copies it into the VE's pty
  const command = `stty rows ${want.rows} cols ${want.cols} 2>/dev/null; exec ${argv.map(shq).join(' ')}`;
  const child: ChildProcessWithoutNullStreams = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH, SHELL: '/bin/sh', LANG: 'C.UTF-8' } as unknown as NodeJS.ProcessEnv, // nothing of ours leaks into the VE
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  child.stdin.on('error', () => { /* EPIPE after the shell ended; reported via exited */ });
  const fail = async (why: string): Promise<never> => {
    tryKill(child.pid ?? -1, 'SIGKILL');
    await exited;
    throw new Error(why);
  };
  if (!child.pid) return fail('cannot start script(1)');
  const attachPid = await waitChild(child.pid, 5000);
  if (!attachPid) return fail('lxc-attach did not start');
  // the attached shell leads its own session on the VE's pty; lxc-attach's short-lived helpers do not
  const shellPid = await waitChild(attachPid, 10_000, (c) => sessionOf(c) === c);
  if (!shellPid) return fail('the shell inside the VE did not start');
  let tty: string;
  try {
    tty = readlinkSync(`/proc/${attachPid}/fd/0`);
  } catch {
    return fail('lxc-attach ended before it got a terminal');
  }
  if (!/^\/dev\/pts\/\d+$/.test(tty)) return fail(`lxc-attach has no pty (${tty})`);
  // lxc-attach turns on onlcr, but the VE's own pty already makes \n into \r\n: off, before the caller
  // sends anything (only the shell's first banner may still carry the harmless extra \r).
  await new Promise<void>((r) => execFile('stty', ['-F', tty, '-onlcr'], { timeout: 5000 }, () => r()));

  // Later resizes go through stty on the host pty (TIOCSWINSZ -> SIGWINCH -> lxc-attach copies it into the VE's pty), one at a time.
  let applied = `${want.cols}x${want.rows}`;
  let busy = false;
  const apply = () => {
    const key = `${want.cols}x${want.rows}`;
    if (busy || key === applied) return;
    busy = true;
    execFile('stty', ['-F', tty, 'rows', String(want.rows), 'cols', String(want.cols)], { timeout: 5000 }, () => {
      busy = false;
      applied = key; // a failed stty (shell gone) is not retried; a newer size is
      setImmediate(apply);
    });
  };

  let killing: Promise<void> | undefined;
  return {
    shellPid,
    child,
    exited,
    write: (data) => { if (child.exitCode === null) child.stdin.write(data); },
    resize: (cols, rows) => { want = clampSize(cols, rows); apply(); },
    kill: () => {
      killing ??= (async () => {
        // Hang up the console's session inside the VE (what closing a real terminal does), then make sure.
        // Daemons that left the session on purpose (setsid, service start) are not the console's to kill.
        for (const p of sessionMembers(shellPid)) tryKill(p, 'SIGHUP');
        const t = Date.now();
        while (Date.now() - t < 300 && sessionMembers(shellPid).length) await sleep(20);
        for (const p of sessionMembers(shellPid)) tryKill(p, 'SIGKILL');
        // with its shell gone lxc-attach returns and script follows; kill them only if they hang
        const done = await Promise.race([exited.then(() => true), sleep(1500).then(() => false)]);
        if (!done) {
          tryKill(attachPid, 'SIGKILL');
          tryKill(child.pid!, 'SIGKILL');
          await exited;
        }
      })();
      return killing;
    },
  };
}
