// A node's login shell is checked before it is trusted with anything: it must run a command quickly and print nothing of its own.
import { randomBytes } from 'node:crypto';
import type { Client } from 'ssh2';
import { AppError, isAppError } from '@/server/errors';
import { runRemote } from './remote';

/** Trims what a shell printed to a short, single-line quote for an error message. */
export const quoteOutput = (s: string) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
};

/**
 * Runs `echo <marker>` through `who`'s login shell and times it. sshd always runs commands as
 * `<shell> -c <command>`, and bash reads ~/.bashrc for them, so a slow or chatty startup file
 * shows here first. Refuses (UNPROCESSABLE, data.reason SHELL_STALLED or SHELL_PRINTS) with the
 * cause named, instead of letting a later step hang or a banner corrupt SFTP.
 */
export async function probeLoginShell(c: Client, who: string, timeoutMs: number): Promise<{ ms: number }> {
  const marker = `vzpanel-probe-${randomBytes(6).toString('hex')}`;
  const t0 = Date.now();
  const r = await runRemote(c, ['echo', marker], { timeoutMs }).catch((e: unknown) => {
    if (!isAppError(e) || e.data?.reason !== 'TIMEOUT') throw e;
    throw new AppError('UNPROCESSABLE',
      `the login shell of ${who} did not run a command within ${Math.round(timeoutMs / 1000)} s: its startup files (~/.bashrc, /etc/bash.bashrc) stall; fix them and add the node again`,
      { step: 'shell probe', reason: 'SHELL_STALLED', waitedMs: Date.now() - t0 });
  });
  const ms = Date.now() - t0;
  const extra = r.stdout.replace(`${marker}\n`, '');
  if (extra.trim() !== '' || !r.stdout.includes(marker)) {
    throw new AppError('UNPROCESSABLE',
      `the login shell of ${who} printed '${quoteOutput(extra) || '(nothing)'}' around a command's output (after ${(ms / 1000).toFixed(1)} s): its startup files must not print for non-interactive commands (it would corrupt file transfer)`,
      { step: 'shell probe', reason: 'SHELL_PRINTS', ms });
  }
  return { ms };
}
