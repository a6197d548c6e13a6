// A restic repository as the caller described it: where it is, how to reach it, and its secrets,
// which exist on the node only for one call (env of the child, 0600 files on /dev/shm removed after).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RepoSpec } from '@/agents/protocol/methods/backup';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { controlMaster, muxClientOptions, startSshMaster } from '../sys/ssh-master';
import { resticError } from './restic';

/** What `restic` needs for one repository: argv (no secret in it) and env (the password). */
export interface RepoAccess {
  /** `-r <repo>` plus, for sftp, `-o sftp.command=...` naming the temp key and known_hosts. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Where the temp files live (removed by the caller's finally via `withRepo`). */
  dir: string;
  /** For messages: `sftp user@host:port/path` or the local path; never a secret. */
  label: string;
  /** sftp: the ssh argv restic runs, to ask ssh itself why a connection failed. */
  ssh?: string[];
  /** Where free space is asked after a failed write: a local folder, or sftp(1) argv and the remote path. */
  space: { local: string } | { sftp: string[]; path: string };
}

// Memory-backed, so a key never reaches a disk; named per vzroot so startup cleanup finds only its own.
const SECRET_ROOT = '/dev/shm';
const secretPrefix = (vzroot: string) => `vzbk-${createHash('sha256').update(vzroot).digest('hex').slice(0, 8)}-`;

/** Removes secret folders a killed agent of this vzroot left behind (startup). */
export async function removeStaleSecrets(vzroot: string): Promise<number> {
  const prefix = secretPrefix(vzroot);
  const names = (await readdir(SECRET_ROOT).catch(() => [] as string[])).filter((n) => n.startsWith(prefix));
  for (const n of names) {
    // a killed agent's master connection would otherwise live until its ControlPersist ran out
    if (existsSync(path.join(SECRET_ROOT, n, MASTER))) await controlMaster(path.join(SECRET_ROOT, n, MASTER), 'exit');
    await rm(path.join(SECRET_ROOT, n), { recursive: true, force: true });
  }
  return names.length;
}

/** restic's env: a fixed PATH, locale and zone (UTC: --time), the password, a cache per vzroot; nothing else of ours leaks in. */
export function resticEnv(vzroot: string, password: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', TZ: 'UTC', HOME: '/root',
    RESTIC_PASSWORD: password, RESTIC_CACHE_DIR: path.join(vzroot, 'backup', 'cache'),
  } as unknown as NodeJS.ProcessEnv;
}

/** The master connection's socket in a call's secret folder (0700, so only root reaches it). */
const MASTER = 'cm';
/**
 * Idle seconds before a master with no session left ends by itself: a daemon killed mid-call leaves
 * it behind only that long. Sessions after a longer gap (a slow sparse copy) log in on their own.
 */
const MASTER_IDLE_SEC = 60;

const hostKeyAlgos = (type: string) => (type === 'ssh-rsa' ? 'rsa-sha2-512,rsa-sha2-256,ssh-rsa' : type);

/**
 * The pinned host key line. A fingerprint is resolved by scanning the host and keeping only a key
 * whose SHA256 matches: the pin decides, never the first answer (no trust on first use).
 */
async function pinnedKeyLine(spec: Extract<RepoSpec, { kind: 'sftp' }>): Promise<string> {
  if (!spec.hostKey.startsWith('SHA256:')) return spec.hostKey;
  const scan = await run('ssh-keyscan', ['-T', '10', '-p', String(spec.port), spec.host], { allowFail: true, timeoutMs: 30_000 });
  const lines = scan.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((p) => p.length >= 3 && !p[0].startsWith('#'));
  if (!lines.length) throw new VeError('REPO_UNREACHABLE', `backup host ${spec.host}:${spec.port} did not answer (${scan.stderr.trim().split('\n').pop() ?? 'no reply'})`);
  const want = spec.hostKey.replace(/=$/, '');
  for (const [, type, b64] of lines) {
    const fp = `SHA256:${createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64').replace(/=+$/, '')}`;
    if (fp === want) return `${type} ${b64}`;
  }
  throw new VeError('REPO_HOST_KEY_MISMATCH', `backup host ${spec.host}:${spec.port} does not present the pinned host key ${want}`);
}

/** Builds the access for one call; `withRepo` is the form that always removes the temp files. */
async function openRepo(vzroot: string, spec: RepoSpec, dir: string, oneConnection: boolean): Promise<RepoAccess> {
  const env = resticEnv(vzroot, spec.password);
  if (spec.kind === 'local') return { args: ['-r', spec.path], env, dir, label: spec.path, space: { local: spec.path } };
  const keyFile = path.join(dir, 'id');
  const knownHosts = path.join(dir, 'known_hosts');
  const [type, b64] = (await pinnedKeyLine(spec)).split(' ');
  await writeFile(keyFile, spec.privateKey.endsWith('\n') ? spec.privateKey : `${spec.privateKey}\n`, { mode: 0o600 });
  await writeFile(knownHosts, `vzbackup-repo ${type} ${b64}\n`, { mode: 0o600 });
  // restic splits sftp.command on spaces itself (no shell); every word is a checked plain token.
  const opts = [
    '-F', '/dev/null', '-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes',
    '-o', 'HostKeyAlias=vzbackup-repo', '-o', `HostKeyAlgorithms=${hostKeyAlgos(type)}`, '-o', 'ConnectTimeout=15',
    '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4', '-o', `Port=${spec.port}`, '-o', `User=${spec.user}`,
  ];
  const label = `sftp ${spec.user}@${spec.host}:${spec.port} ${spec.path}`;
  if (oneConnection) {
    // The master checks the pinned host key and logs in with the same options as any other run; its
    // sessions (restic, sftp) then pay no key exchange or login. A session that finds no master
    // (it ended idle) connects on its own, with the same pin.
    const socket = path.join(dir, MASTER);
    const m = await startSshMaster(socket, [...opts, spec.host], MASTER_IDLE_SEC);
    if (m.code !== 0) throw resticError(m.stderr || `ssh exited ${m.code}`, 'opening the repository', label);
    opts.push(...muxClientOptions(socket));
  }
  const ssh = ['ssh', ...opts, spec.host, '-s', 'sftp'];
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  return {
    args: ['-r', `sftp:${spec.user}@${host}:${spec.path}`, '-o', `sftp.command=${ssh.join(' ')}`],
    env, dir, label, ssh,
    space: { sftp: ['sftp', '-b', '-', ...opts, host], path: spec.path },
  };
}

/**
 * Runs `fn` with the repository's access; the secret files are gone when it returns or throws.
 * `oneConnection` (sftp): every ssh, sftp and restic run of the call shares one SSH connection, a
 * master opened here (an unreachable host, a wrong host key or a refused key fail here) and ended
 * before the folder is removed, however `fn` ends.
 */
export async function withRepo<T>(vzroot: string, spec: RepoSpec, fn: (repo: RepoAccess) => Promise<T>, o: { oneConnection?: boolean } = {}): Promise<T> {
  const dir = path.join(SECRET_ROOT, `${secretPrefix(vzroot)}${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  try {
    return await fn(await openRepo(vzroot, spec, dir, o.oneConnection ?? false));
  } finally {
    if (existsSync(path.join(dir, MASTER))) await controlMaster(path.join(dir, MASTER), 'exit');
    await rm(dir, { recursive: true, force: true });
  }
}
