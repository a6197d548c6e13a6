// Source side of the copy: rsync over the node's OpenSSH client to the target's forced command.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { migrateDir } from './state';
import { mkdir } from 'node:fs/promises';

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

/** known_hosts line pinning the target's host key (OpenSSH writes non-22 ports as [host]:port). */
export function knownHostsLine(t: Pick<SendTarget, 'host' | 'port' | 'hostKey'>): string {
  const name = t.port === 22 ? t.host : `[${t.host}]:${t.port}`;
  return `${name} ${t.hostKey}\n`;
}

const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;

/**
 * rsync -aHAX --numeric-ids --delete --inplace of `root/` to the target. The private key lives
 * in a 0600 file in a 0700 temp dir only while rsync runs; the host key is pinned (no TOFU).
 */
export async function rsyncTo(vzroot: string, root: string, t: SendTarget, privateKey: string, bwlimitKBps = 0): Promise<SendStats & { ms: number }> {
  await mkdir(migrateDir(vzroot), { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(path.join(migrateDir(vzroot), 'send-'));
  try {
    if (!SAFE_PATH.test(dir) || !SAFE_PATH.test(root) || !SAFE_PATH.test(t.root)) throw new VeError('BAD_PARAMS', 'paths must be plain absolute paths');
    const key = path.join(dir, 'id');
    const kh = path.join(dir, 'known_hosts');
    await writeFile(key, privateKey.endsWith('\n') ? privateKey : privateKey + '\n', { mode: 0o600 });
    await writeFile(kh, knownHostsLine(t), { mode: 0o600 });
    // rsync splits -e on spaces itself (no shell); every word here is a checked plain token.
    const ssh = [
      'ssh', '-F', '/dev/null', '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${kh}`, '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3', '-o', 'Compression=no',
      '-o', 'LogLevel=ERROR', '-p', String(t.port), '-l', t.user,
    ].join(' ');
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    const args = [
      '-aHAX', '--numeric-ids', '--delete', '--inplace', '--stats', '--timeout=60',
      ...(bwlimitKBps > 0 ? [`--bwlimit=${bwlimitKBps}`] : []),
      '-e', ssh, `${root}/`, `${host}:${t.root}/`,
    ];
    const t0 = Date.now();
    const r = await run('rsync', args, { allowFail: true, timeoutMs: 6 * 3600_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' } as unknown as NodeJS.ProcessEnv });
    const ms = Date.now() - t0;
    if (r.code !== 0) {
      const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
      throw new VeError('INTERNAL', `rsync to ${t.host}:${t.port} failed (exit ${r.code}): ${tail}`, { rsyncExit: r.code });
    }
    return { ...parseRsyncStats(r.stdout), ms };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
