// Source side of the copy: rsync over the node's OpenSSH client to the target's forced command.
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { channelAlive, openChannel } from './channel';

export interface SendTarget { host: string; port: number; user: string; hostKey: string; root: string }

export interface SendStats { filesTransferred: number; bytesTransferred: number; totalBytes: number }

/** rsync's `--stats` block -> numbers (missing lines read as 0). */
export function parseRsyncStats(out: string): SendStats {
  const num = (label: string) => Number(new RegExp(`^${label}: ([\\d,]+)`, 'm').exec(out)?.[1]?.replace(/,/g, '') ?? 0);
  return {
    filesTransferred: num('Number of regular files transferred'),
    bytesTransferred: num('Total transferred file size'),
    totalBytes: num('Total file size'),
  };
}

export { knownHostsLine } from './channel';

const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;

/**
 * rsync -aHAX --numeric-ids --delete --inplace of `root/` to the target, over the migration's
 * one SSH connection (channel.ts): the host key is pinned (no TOFU), the key never outlives the
 * login, and the final pass inside the pause opens only a new session on the live connection.
 */
export async function rsyncTo(vzroot: string, ctid: number, root: string, t: SendTarget, privateKey: string, bwlimitKBps = 0): Promise<SendStats & { ms: number }> {
  if (!SAFE_PATH.test(root) || !SAFE_PATH.test(t.root)) throw new VeError('BAD_PARAMS', 'paths must be plain absolute paths');
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const attempt = async (ssh: string[]) => {
    // rsync splits -e on spaces itself (no shell); every word here is a checked plain token.
    const args = [
      '-aHAX', '--numeric-ids', '--delete', '--inplace', '--stats', '--timeout=60',
      ...(bwlimitKBps > 0 ? [`--bwlimit=${bwlimitKBps}`] : []),
      '-e', ssh.join(' '), `${root}/`, `${host}:${t.root}/`,
    ];
    const t0 = Date.now();
    const r = await run('rsync', args, { allowFail: true, timeoutMs: 6 * 3600_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' } as unknown as NodeJS.ProcessEnv });
    return { r, ms: Date.now() - t0 };
  };
  let { r, ms } = await attempt(await openChannel(vzroot, ctid, t, privateKey));
  // The connection from an earlier pass died (target sshd restarted, idle timeout): one fresh try.
  if (r.code !== 0 && !(await channelAlive(vzroot, ctid))) ({ r, ms } = await attempt(await openChannel(vzroot, ctid, t, privateKey)));
  if (r.code !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new VeError('INTERNAL', `rsync to ${t.host}:${t.port} failed (exit ${r.code}): ${tail}`, { rsyncExit: r.code });
  }
  return { ...parseRsyncStats(r.stdout), ms };
}
