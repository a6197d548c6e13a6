// The node's agent SSH account: the panel's day-to-day login, whose shell reads no startup files.
import type { Client } from 'ssh2';
import { AppError } from '@/server/errors';
import { runRemote } from './remote';

export const AGENT_ACCOUNT = 'vzagent';
export const AGENT_HOME = '/var/lib/vzagent';
/** dash, or bash started as `sh`: neither reads a startup file for `sh -c <forced command>`. */
export const AGENT_SHELL = '/bin/sh';

/**
 * Creates (or corrects) the system account the panel's restricted key logs in as: shell
 * /bin/sh, home `home` for a new account (root-owned, holding only .ssh/authorized_keys; an
 * existing account keeps its home), password `*` (no password login; not `!`-locked, which
 * sshd without PAM treats as "refuse every login"). Its only power is its group, which may
 * connect to the agent's socket; the agent checks each call. Refuses an existing account of
 * that name with uid 0. Returns the account's home. Only shell and password are changed on an
 * existing account, which usermod allows while the account has processes (a live panel session).
 */
// useradd/usermod fail at once while another tool (adduser in a package install, say) holds /etc/passwd's lock.
async function shadowStep(c: Client, step: string, argv: string[]) {
  for (let i = 0; ; i++) {
    const r = await runRemote(c, argv);
    if (r.code === 0) return;
    if (i >= 20 || !/lock/i.test(r.stderr)) throw new AppError('UNPROCESSABLE', `bootstrap step "${step}" failed (exit ${r.code}): ${r.stderr.trim().slice(-500)}`, { step });
    await new Promise((res) => setTimeout(res, 250));
  }
}

export async function ensureAgentAccount(c: Client, user: string, home: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(user)) throw new AppError('BAD_INPUT', `bad agent account name ${user}`, { field: 'agentUser' });
  const found = await runRemote(c, ['getent', 'passwd', user]);
  if (found.code !== 0) {
    await shadowStep(c, 'create agent account', ['useradd', '--system', '--user-group', '--shell', AGENT_SHELL, '--home-dir', home, '--no-create-home', '--password', '*', '--comment', 'vzpanel agent (restricted SSH key)', user]);
    return home;
  }
  const [, , uid, , , existingHome, shell] = found.stdout.trim().split(':');
  if (uid === '0') throw new AppError('UNPROCESSABLE', `the node's account ${user} has uid 0; the agent account must be unprivileged`, { step: 'agent account' });
  if (shell !== AGENT_SHELL) await shadowStep(c, 'agent account shell', ['usermod', '--shell', AGENT_SHELL, user]);
  const shadow = (await runRemote(c, ['getent', 'shadow', user])).stdout.split(':')[1] ?? '';
  if (shadow.startsWith('!')) await shadowStep(c, 'unlock agent account', ['usermod', '--password', '*', user]);
  return existingHome || home;
}
