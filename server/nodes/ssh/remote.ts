// Run fixed commands and move files over an admin SSH connection (bootstrap only).
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { AppError } from '@/server/errors';
import { shCommand } from './quote';

export interface RemoteResult { code: number; stdout: string; stderr: string }

/** A remote command that is not done by its deadline (default 120 s) fails with this reason. */
export const DEFAULT_REMOTE_TIMEOUT_MS = 120_000;

/**
 * Run argv on the node: every word is single-quoted (shCommand), so nothing in it is
 * interpreted by the remote shell. `input` goes to the command's stdin. Past `timeoutMs` the
 * command is signalled and closed, and the call fails naming the command and the wait.
 */
export function runRemote(c: Client, argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RemoteResult> {
  const cmd = shCommand(argv);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let channel: ClientChannel | undefined;
    const timer = setTimeout(() => {
      reject(new AppError('UNPROCESSABLE', `${argv[0]} on the node did not finish within ${Math.round(timeoutMs / 1000)} s`, { reason: 'TIMEOUT', command: argv[0] }));
      try { channel?.signal('KILL'); } catch { /* servers may not support signals */ }
      channel?.close();
    }, timeoutMs);
    c.exec(cmd, (err, ch) => {
      if (err) {
        clearTimeout(timer);
        return reject(new AppError('NODE_OFFLINE', `cannot run ${argv[0]} on the node: ${err.message}`));
      }
      channel = ch;
      let stdout = '';
      let stderr = '';
      let code = -1;
      ch.on('data', (b: Buffer) => { stdout += b.toString('utf8'); });
      ch.stderr.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
      ch.on('exit', (c2: number | null) => { code = c2 ?? -1; });
      ch.on('close', () => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
      ch.end(opts.input ?? undefined);
    });
  });
}

/** Like runRemote, but a non-zero exit is an error naming the step. */
export async function mustRun(c: Client, step: string, argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RemoteResult> {
  const r = await runRemote(c, argv, opts);
  if (r.code !== 0) throw new AppError('UNPROCESSABLE', `bootstrap step "${step}" failed (exit ${r.code}): ${r.stderr.trim().slice(-500)}`, { step });
  return r;
}

/** The SFTP subsystem; sshd may start it through the login shell, so it gets a deadline too. */
export function openSftp(c: Client, timeoutMs = 30_000): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new AppError('UNPROCESSABLE', `SFTP did not start on the node within ${timeoutMs / 1000} s`, { reason: 'TIMEOUT' })), timeoutMs);
    c.sftp((e, s) => {
      clearTimeout(timer);
      if (e) reject(new AppError('UNPROCESSABLE', `SFTP not available on the node: ${e.message}`));
      else resolve(s);
    });
  });
}

const p = <T>(fn: (cb: (e: Error | null | undefined, v?: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((e, v) => (e ? reject(e) : resolve(v as T))));

/** mkdir -p over SFTP (each missing component created with `mode`). */
export async function sftpMkdirP(s: SFTPWrapper, dir: string, mode = 0o755): Promise<void> {
  const parts = dir.split('/').filter(Boolean);
  let cur = '';
  for (const part of parts) {
    cur += `/${part}`;
    const exists = await p<unknown>((cb) => s.stat(cur, cb)).then(() => true, () => false);
    if (!exists) await p<void>((cb) => s.mkdir(cur, { mode }, (e) => cb(e))).catch(async (e) => {
      // lost a race with another writer: fine if it is there now
      if (!(await p<unknown>((cb) => s.stat(cur, cb)).then(() => true, () => false))) throw e;
    });
  }
}

/** Read a remote file, or undefined if it does not exist. */
export async function sftpRead(s: SFTPWrapper, file: string): Promise<string | undefined> {
  return p<Buffer>((cb) => s.readFile(file, cb)).then((b) => b.toString('utf8'), (e: { code?: number }) => {
    if (e.code === 2) return undefined; // SSH_FX_NO_SUCH_FILE
    throw e;
  });
}

/** Write via a temp name then rename, so a reader (sshd, node) never sees a half-written file. */
export async function sftpWriteAtomic(s: SFTPWrapper, file: string, data: string | Buffer, mode: number): Promise<void> {
  const tmp = `${file}.vzpanel-tmp-${process.pid}-${Date.now()}`;
  await p<void>((cb) => s.writeFile(tmp, data, { mode }, (e) => cb(e)));
  await p<void>((cb) => s.chmod(tmp, mode, (e) => cb(e)));
  // posix-rename@openssh.com replaces the target atomically; plain SFTP rename refuses to overwrite
  await p<void>((cb) => s.ext_openssh_rename(tmp, file, (e) => cb(e))).catch(async (e) => {
    await p<void>((cb) => s.unlink(tmp, (e2) => cb(e2))).catch(() => undefined);
    throw e;
  });
}
