// One OpenSSH master connection (ControlMaster) that later ssh, sftp, rsync and restic runs share: each
// opens a session on it instead of paying TCP, key exchange and login again. Migration and backups use it.
import { spawn } from 'node:child_process';
import { run } from './exec';

/** The words that make an ssh run a client of the master at `socket` (never a master itself). */
export const muxClientOptions = (socket: string): string[] => ['-o', `ControlPath=${socket}`, '-o', 'ControlMaster=no'];

/** Env for ssh: a fixed PATH and locale, nothing else of the daemon's. */
const sshEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' }) as unknown as NodeJS.ProcessEnv;

/**
 * Starts a master on `socket` with `args` (every ssh option for the connection, the host last) and
 * waits until it has logged in and gone to the background: ControlPersist makes ssh fork once
 * authenticated, so exit 0 means sessions can use it. The master ends `persistSec` after its last
 * session (a daemon killed meanwhile leaves nothing behind for long), or at stopSshMaster.
 * Returns ssh's exit code (255 when it did not finish within 30 s, 127 when ssh cannot start) and stderr.
 */
export async function startSshMaster(socket: string, args: readonly string[], persistSec: number): Promise<{ code: number; stderr: string }> {
  const host = args.at(-1)!;
  const words = [...args.slice(0, -1), '-o', `ControlPath=${socket}`, '-o', 'ControlMaster=yes', '-o', `ControlPersist=${persistSec}`, '-N', host];
  const child = spawn('ssh', words, { stdio: ['ignore', 'ignore', 'pipe'], env: sshEnv() });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const code = await new Promise<number>((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(255); }, 30_000);
    child.on('error', () => { clearTimeout(timer); resolve(127); });
    // 'exit', not 'close': the backgrounded master may keep the stderr pipe open.
    child.on('exit', (c) => { clearTimeout(timer); resolve(c ?? 255); });
  });
  child.stderr.destroy();
  return { code, stderr };
}

/** `ssh -O <command>` against the master at `socket` ('check': is it up; 'exit': end it). */
export async function controlMaster(socket: string, command: 'check' | 'exit'): Promise<boolean> {
  // the host name is only a placeholder: with a literal ControlPath nothing is resolved or dialled
  const r = await run('ssh', ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-o', `ControlPath=${socket}`, '-O', command, 'vz-ssh-master'], {
    allowFail: true, timeoutMs: 5000, env: sshEnv(),
  }).catch(() => ({ code: 255 }));
  return r.code === 0;
}
