// One SSH connection per migration (OpenSSH ControlMaster): both rsync passes ride it, so the final
// copy inside the pause pays no TCP, key exchange or authentication.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VeError } from '../sys/errors';
import { controlMaster, startSshMaster } from '../sys/ssh-master';
import { migrateDir } from './state';

export interface ChannelTarget { host: string; port: number; user: string; hostKey: string }

/** known_hosts line pinning the target's host key (OpenSSH writes non-22 ports as [host]:port). */
export function knownHostsLine(t: Pick<ChannelTarget, 'host' | 'port' | 'hostKey'>): string {
  const name = t.port === 22 ? t.host : `[${t.host}]:${t.port}`;
  return `${name} ${t.hostKey}\n`;
}

const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;
// The private socket dir of one VE's migration: 0700, deterministic so a restarted daemon finds it.
const dirOf = (vzroot: string, ctid: number) => path.join(migrateDir(vzroot), `ssh-${ctid}`);

function common(dir: string, t: ChannelTarget): string[] {
  return [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${dir}/known_hosts`,
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', `ControlPath=${dir}/cm`, '-o', 'LogLevel=ERROR', '-p', String(t.port), '-l', t.user,
  ];
}

const hostArg = (t: ChannelTarget) => (t.host.includes(':') ? `[${t.host}]` : t.host);

// Opening and closing a VE's channel run one at a time in this daemon: a re-sent call (the panel
// reconnected), the task's retry and an abort can all reach here, and none may wipe the folder or
// rewrite the key file under another's ssh.
const channelLocks = new Map<string, Promise<unknown>>();

async function withChannelLock<T>(vzroot: string, ctid: number, fn: () => Promise<T>): Promise<T> {
  const key = dirOf(vzroot, ctid);
  const mine = (channelLocks.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
  channelLocks.set(key, mine);
  try {
    return await mine;
  } finally {
    if (channelLocks.get(key) === mine) channelLocks.delete(key);
  }
}

/**
 * Opens (or reuses) the migration's master connection to the target and returns the `ssh` words
 * for `rsync -e`. Sessions through it never authenticate again; a client that finds no master
 * cannot log in on its own (public key auth off), so a dead master fails the copy cleanly. The
 * one-off private key is on disk (0600 in a 0700 dir) only until the master has authenticated.
 */
export function openChannel(vzroot: string, ctid: number, t: ChannelTarget, privateKey: string): Promise<string[]> {
  return withChannelLock(vzroot, ctid, () => openChannelNow(vzroot, ctid, t, privateKey));
}

async function openChannelNow(vzroot: string, ctid: number, t: ChannelTarget, privateKey: string): Promise<string[]> {
  const dir = dirOf(vzroot, ctid);
  if (!SAFE_PATH.test(dir) || `${dir}/cm`.length > 100) throw new VeError('BAD_PARAMS', `control socket path ${dir}/cm is unusable (plain, under 100 bytes)`);
  const words = ['ssh', ...common(dir, t), '-o', 'ControlMaster=no', '-o', 'PubkeyAuthentication=no', '-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no'];
  const id = JSON.stringify({ host: t.host, port: t.port, user: t.user, hostKey: t.hostKey });
  // The same target's master is reused unchecked (a check costs a process inside the pause);
  // rsyncTo reopens once when a copy fails on a dead master.
  if ((await readFile(path.join(dir, 'target'), 'utf8').catch(() => '')) === id && (await stat(path.join(dir, 'cm')).catch(() => null))) return words;
  await closeChannelNow(vzroot, ctid);
  await mkdir(migrateDir(vzroot), { recursive: true, mode: 0o700 });
  await mkdir(dir, { mode: 0o700 });
  const key = path.join(dir, 'id');
  await writeFile(key, privateKey.endsWith('\n') ? privateKey : privateKey + '\n', { mode: 0o600 });
  await writeFile(path.join(dir, 'known_hosts'), knownHostsLine(t), { mode: 0o600 });
  await writeFile(path.join(dir, 'target'), id, { mode: 0o600 });
  try {
    // The master ends after 10 idle minutes (a daemon killed mid-migration leaves no connection behind for long).
    const { code, stderr: err } = await startSshMaster(`${dir}/cm`, [
      ...common(dir, t), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'ConnectTimeout=10',
      '-o', 'ServerAliveInterval=3', '-o', 'ServerAliveCountMax=4', '-o', 'Compression=no', hostArg(t),
    ], 600);
    if (code !== 0) throw new VeError('INTERNAL', `ssh to ${t.host}:${t.port} failed (exit ${code}): ${err.trim().split('\n').slice(-2).join(' | ')}`, { sshExit: code });
  } finally {
    await rm(key, { force: true });
  }
  return words;
}

/** True when the VE's migration master connection is up. */
export async function channelAlive(vzroot: string, ctid: number): Promise<boolean> {
  const dir = dirOf(vzroot, ctid);
  const id = await readFile(path.join(dir, 'target'), 'utf8').catch(() => '');
  return id ? controlMaster(`${dir}/cm`, 'check') : false;
}

/** Ends the migration's master connection (if any) and removes its socket dir. */
export function closeChannel(vzroot: string, ctid: number): Promise<void> {
  return withChannelLock(vzroot, ctid, () => closeChannelNow(vzroot, ctid));
}

async function closeChannelNow(vzroot: string, ctid: number): Promise<void> {
  const dir = dirOf(vzroot, ctid);
  if (await readFile(path.join(dir, 'target'), 'utf8').catch(() => '')) await controlMaster(`${dir}/cm`, 'exit');
  await rm(dir, { recursive: true, force: true });
}
