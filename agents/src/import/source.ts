// Where an import reads from: this node's filesystem, or an OpenVZ host over SSH (OpenSSH client,
// host key pinned, a key given per call and removed after it). Paths are plain absolute paths, so
// the fixed remote commands below need no quoting.
import { lstat, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';

export interface SshSource { host: string; port: number; user: string; hostKey: string; privateKey: string }

export interface SourceFs {
  /** A small file (a conf): NOT_FOUND when absent. */
  readFile(p: string, max: number): Promise<string>;
  /** Disk blocks (bytes) and inodes under `dir`, on its filesystem. */
  usage(dir: string): Promise<{ bytes: number; inodes: number }>;
  isDir(p: string): Promise<boolean>;
  /** The entry exists (a dangling symlink counts: /sbin/init may point inside the VE). */
  exists(p: string): Promise<boolean>;
  list(dir: string): Promise<string[]>;
  /** Copies `dir`'s tree to `to` on this node (numeric owners, hard links, ACLs, xattrs). */
  copyTree(dir: string, to: string): Promise<void>;
  close(): Promise<void>;
}

const SAFE_PATH = /^\/[A-Za-z0-9_.+@:,=-][A-Za-z0-9_./+@:,=-]*$/;
export function safePath(p: string, field: string): string {
  if (!SAFE_PATH.test(p) || p.split('/').includes('..')) throw new VeError('BAD_PARAMS', `${field}: ${p} is not a plain absolute path`, { field });
  return p;
}

const ENV = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' }) as unknown as NodeJS.ProcessEnv;
const num = (s: string) => Number(s.trim().split(/\s/)[0]);
const RSYNC = ['-aHAX', '--numeric-ids', '--delete', '--timeout=120'];

export function localSource(): SourceFs {
  return {
    async readFile(p, max) {
      const fh = await open(p, 'r').catch((e: NodeJS.ErrnoException) => {
        throw new VeError('NOT_FOUND', `cannot read ${p}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { field: 'conf' });
      });
      try {
        const st = await fh.stat();
        if (!st.isFile()) throw new VeError('BAD_PARAMS', `${p} is not a file`, { field: 'conf' });
        if (st.size > max) throw new VeError('BAD_PARAMS', `${p} is larger than ${max} bytes: not a CTID.conf`, { field: 'conf' });
        return await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    },
    async usage(dir) {
      const [b, i] = await Promise.all([
        run('du', ['-sx', '-B1', '--', dir], { timeoutMs: 30 * 60_000 }),
        run('du', ['-sx', '--inodes', '--', dir], { timeoutMs: 30 * 60_000 }),
      ]);
      return { bytes: num(b.stdout), inodes: num(i.stdout) };
    },
    isDir: async (p) => !!(await lstat(p).catch(() => null))?.isDirectory(),
    exists: async (p) => !!(await lstat(p).catch(() => null)),
    list: (dir) => readdir(dir).catch(() => []),
    async copyTree(dir, to) {
      const r = await run('rsync', [...RSYNC, `${dir}/`, `${to}/`], { allowFail: true, timeoutMs: 12 * 3600_000, env: ENV() });
      if (r.code !== 0) throw new VeError('INTERNAL', `copying ${dir} failed (rsync ${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    },
    close: async () => undefined,
  };
}

/** The OpenVZ host over SSH. Every failure says which: unreachable, host key, authentication, a command. */
export async function sshSource(s: SshSource): Promise<SourceFs> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vzimport-'));
  const name = s.port === 22 ? s.host : `[${s.host}]:${s.port}`;
  await writeFile(path.join(dir, 'known_hosts'), `${name} ${s.hostKey}\n`, { mode: 0o600 });
  await writeFile(path.join(dir, 'key'), s.privateKey.endsWith('\n') ? s.privateKey : `${s.privateKey}\n`, { mode: 0o600 });
  const ssh = [
    'ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${dir}/known_hosts`,
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '-i', `${dir}/key`, '-o', 'ConnectTimeout=15', '-o', 'LogLevel=ERROR',
    '-p', String(s.port), '-l', s.user,
  ];
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  const fail = (what: string, stderr: string, code: number) => {
    const e = stderr.trim().split('\n').slice(-1)[0] ?? '';
    if (code === 255) {
      if (/Host key verification failed|REMOTE HOST IDENTIFICATION/i.test(stderr)) return new VeError('BAD_PARAMS', `the host key of ${s.host}:${s.port} is not the pinned one`, { field: 'hostKey' });
      if (/Permission denied/i.test(stderr)) return new VeError('BAD_PARAMS', `${s.user}@${s.host}:${s.port} refused the key (add the panel's import key to its authorized_keys)`, { field: 'user' });
      return new VeError('INTERNAL', `cannot reach ${s.host}:${s.port}: ${e}`, { reason: 'unreachable' });
    }
    return new VeError('INTERNAL', `${what} on ${s.host} failed: ${e}`);
  };
  const remote = async (what: string, cmd: string, allow: number[] = [0]) => {
    const r = await run(ssh[0], [...ssh.slice(1), host, '--', cmd], { allowFail: true, timeoutMs: 30 * 60_000, env: ENV() });
    if (!allow.includes(r.code)) throw fail(what, r.stderr, r.code);
    return r;
  };
  return {
    async readFile(p, max) {
      safePath(p, 'conf');
      const r = await remote(`reading ${p}`, `test -f ${p} || exit 3; head -c ${max + 1} ${p}`, [0, 3]);
      if (r.code === 3) throw new VeError('NOT_FOUND', `cannot read ${p} on ${s.host}: no such file`, { field: 'conf' });
      if (Buffer.byteLength(r.stdout) > max) throw new VeError('BAD_PARAMS', `${p} is larger than ${max} bytes: not a CTID.conf`, { field: 'conf' });
      return r.stdout;
    },
    async usage(d) {
      safePath(d, 'private');
      const r = await remote(`measuring ${d}`, `du -sx -B1 ${d} && du -sx --inodes ${d}`);
      const [b, i] = r.stdout.trim().split('\n');
      return { bytes: num(b), inodes: num(i) };
    },
    isDir: async (p) => (await remote(`looking at ${p}`, `test -d ${safePath(p, 'private')} && ! test -L ${p}`, [0, 1])).code === 0,
    exists: async (p) => (await remote(`looking at ${p}`, `test -e ${safePath(p, 'private')} || test -L ${p}`, [0, 1])).code === 0,
    list: async (d) => (await remote(`listing ${d}`, `ls -A ${safePath(d, 'private')} 2>/dev/null; true`)).stdout.split('\n').filter(Boolean),
    async copyTree(d, to) {
      safePath(d, 'private');
      const r = await run('rsync', [...RSYNC, '-e', ssh.join(' '), `${host}:${d}/`, `${to}/`], { allowFail: true, timeoutMs: 12 * 3600_000, env: ENV() });
      if (r.code !== 0) throw fail(`copying ${d}`, r.stderr, r.code === 255 ? 255 : r.code);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
