// Running restic: argv arrays only, the password in the child's env, its failures named in plain words.
import { spawn } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { AgentErrorCode } from '@/agents/protocol';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import type { RepoAccess } from './repo';

export interface ResticOptions {
  cwd?: string;
  /** Each JSON object restic prints on stdout (with --json); stdout is not kept then. */
  onJson?: (msg: Record<string, unknown>) => void;
  /** Raw stdout (restic dump): given the stream, stdout is not kept. */
  onStdout?: (out: Readable) => void;
  /** Exit codes that are not failures (restic backup: 3 = some files could not be read). */
  okCodes?: number[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ResticResult { code: number; stdout: string; stderr: string }

// Messages restic (and the ssh under it) print, mapped to what the panel shows. First match wins.
const FAILURES: [RegExp, AgentErrorCode, string][] = [
  [/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* (differs|mismatch)/i, 'REPO_HOST_KEY_MISMATCH', 'the backup host presented a different host key than the pinned one'],
  [/Permission denied \(|Too many authentication failures|authentication failed/i, 'REPO_AUTH_FAILED', 'the backup host refused the login (key not accepted)'],
  [/wrong password or no key found/i, 'REPO_WRONG_PASSWORD', 'the repository password is wrong'],
  [/no space left on device|disk quota exceeded|ENOSPC/i, 'REPO_FULL', 'the backup repository is full (no space left on its disk)'],
  [/repository is already locked|unable to create lock/i, 'REPO_LOCKED', 'another restic process holds a lock on the repository'],
  [/Is there a repository at the following location|unable to open config file|config file .* does not exist/i, 'REPO_NOT_FOUND', 'there is no restic repository at this location (initialise it first)'],
  [/no matching ID found|no snapshot found|invalid snapshot|no such snapshot/i, 'SNAPSHOT_NOT_FOUND', 'no such backup in the repository'],
  [/Connection refused|Connection timed out|No route to host|Could not resolve hostname|Network is unreachable|Connection closed by|connection reset|ssh command exited|unable to start the sftp session|subsystem request failed|Broken pipe|Timeout, server .* not responding/i, 'REPO_UNREACHABLE', 'the backup repository cannot be reached'],
];

/** The protocol error for a failed restic run: a named reason where restic's words say one. */
export function resticError(stderr: string, what: string, label: string): VeError {
  const lines = stderr.trim().split('\n').filter((l) => l.trim());
  // a Go panic's first line says what broke; the stack after it does not
  const panic = lines.find((l) => l.startsWith('panic:'));
  const tail = (panic ? [panic] : lines.slice(-4)).join(' | ').slice(-600);
  for (const [re, code, words] of FAILURES) {
    if (re.test(stderr)) return new VeError(code, `${what}: ${words} (${label}): ${tail}`, { repo: label });
  }
  return new VeError('INTERNAL', `${what} failed (${label}): ${tail || 'restic gave no reason'}`, { repo: label });
}

/**
 * Runs `restic <args>` against `repo`. The child dies with the agent (setpriv --pdeathsig): a
 * killed agent leaves no restic holding a mount; restic's own lock goes stale and `unlock` clears it.
 */
export function restic(repo: RepoAccess, args: readonly string[], what: string, o: ResticOptions = {}): Promise<ResticResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'restic', ...repo.args, ...args], {
      cwd: o.cwd, env: repo.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    if (o.onStdout) o.onStdout(child.stdout);
    else {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (!o.onJson) { stdout += d; return; }
        const lines = (partial + d).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) emitJson(l, o.onJson);
      });
    }
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 1 << 20) stderr += d; });
    const kill = () => child.kill('SIGTERM');
    o.signal?.addEventListener('abort', kill, { once: true });
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    child.on('error', (e) => reject(new VeError('UNSUPPORTED', `cannot run restic: ${e.message} (install the restic package)`)));
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', kill);
      if (o.onJson && partial) emitJson(partial, o.onJson);
      const c = code ?? 128;
      if (c === 0 || o.okCodes?.includes(c)) return resolve({ code: c, stdout, stderr });
      if (c === 127 && /setpriv|restic/.test(stderr) && /No such file/.test(stderr)) {
        return reject(new VeError('UNSUPPORTED', 'restic is not installed on this node (apt-get install restic)'));
      }
      const err = resticError(sig ? `${stderr}\nkilled by ${sig}` : stderr, what, repo.label);
      void explain(repo, err, what).then(reject);
    });
  });
}

/**
 * A failure restic did not name: an sftp server reports a full disk as a bare "failure", and restic
 * 0.14 sometimes panics on ENOSPC; so ask the repository's disk, and ssh itself, what went wrong.
 */
async function explain(repo: RepoAccess, err: VeError, what: string): Promise<VeError> {
  if (err.code !== 'INTERNAL' && err.code !== 'REPO_UNREACHABLE') return err;
  const free = await freeBytes(repo).catch(() => undefined);
  if (free !== undefined && free < FULL_BELOW) {
    return new VeError('REPO_FULL', `${what}: the backup repository is full (${Math.round(free / 1024)} KiB free) (${repo.label}): ${err.message}`, { repo: repo.label, freeBytes: free });
  }
  if (err.code !== 'REPO_UNREACHABLE' || !repo.ssh) return err;
  const why = await sshReason(repo.ssh);
  return why ? resticError(why, what, repo.label) : err;
}

/** Less free space than this after a failed write means the repository's disk is full (a pack is 4-16 MiB). */
const FULL_BELOW = 32 * 2 ** 20;

/** Free bytes where the repository lives (statfs, or sftp's statvfs@openssh.com `df`). */
async function freeBytes(repo: RepoAccess): Promise<number | undefined> {
  if ('local' in repo.space) {
    const s = await statfs(repo.space.local);
    return s.bavail * s.bsize;
  }
  const [cmd, ...args] = repo.space.sftp;
  const r = await run(cmd, args, { allowFail: true, timeoutMs: 30_000, input: `df ${repo.space.path}\n` });
  // "Size Used Avail (root) %Capacity" then the numbers, in KiB
  const row = r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => c.length >= 4 && /^\d+$/.test(c[0]) && /^\d+$/.test(c[2]));
  return row ? Number(row[2]) * 1024 : undefined;
}

/**
 * restic may exit before it forwards what ssh said, leaving only "unable to start the sftp
 * session": one more connection with the same command tells a changed host key or a refused
 * key from a host that does not answer. ssh's stderr, or '' when it connected after all.
 */
async function sshReason(ssh: string[]): Promise<string> {
  const [cmd, ...args] = ssh;
  const r = await run(cmd, args, { allowFail: true, timeoutMs: 30_000, input: '' });
  return r.code === 0 ? '' : r.stderr;
}

function emitJson(line: string, fn: (m: Record<string, unknown>) => void): void {
  const t = line.trim();
  if (!t.startsWith('{')) return;
  try {
    fn(JSON.parse(t) as Record<string, unknown>);
  } catch {
    // restic mixes the odd plain line into --json output; only objects matter
  }
}

/** `restic version`, or null when it is not installed. */
export async function resticVersion(): Promise<string | null> {
  return new Promise((resolve) => {
    const c = spawn('restic', ['version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.on('error', () => resolve(null));
    c.on('close', (code) => resolve(code === 0 ? out.trim() : null));
  });
}
