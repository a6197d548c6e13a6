// A Postgres left running in our data dir by a panel that died (kill -9, OOM): found by its lock
// file and /proc, stopped the way Postgres wants to be stopped, before a new one starts there.
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from '@/server/boot/startup-error';
import { logger } from '@/server/logger';

export interface PostmasterLock {
  pid: number;
  dataDir: string;
  port?: number;
}

/** Parses <dataDir>/postmaster.pid (line 1 pid, 2 data dir, 4 port); undefined when absent or torn. */
export function readPostmasterLock(dataDir: string): PostmasterLock | undefined {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const port = Number(lines[3]);
  return { pid, dataDir: lines[1] ?? '', port: Number.isInteger(port) && port > 0 ? port : undefined };
}

const procRead = (pid: number, file: string): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
};

export const pidAlive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !procRead(pid, 'stat')?.match(/\) Z /);

/** Parent pid from /proc/<pid>/stat (the comm field may contain spaces and parentheses). */
const parentOf = (pid: number): number | undefined => {
  const stat = procRead(pid, 'stat');
  const after = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return after ? Number(after[1]) : undefined;
};

const sameDir = (a: string, b: string): boolean => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
};

/** True when `pid` is a postgres whose data dir is `dataDir` (the postmaster chdirs into it). */
export function isPostgresOf(pid: number, dataDir: string): boolean {
  if (procRead(pid, 'comm')?.trim() !== 'postgres') return false;
  try {
    return sameDir(readlinkSync(`/proc/${pid}/cwd`), dataDir);
  } catch {
    // cwd is unreadable when we are not root: fall back to `-D <dir>` on its command line
    const argv = procRead(pid, 'cmdline')?.split('\0') ?? [];
    const i = argv.indexOf('-D');
    return i >= 0 && !!argv[i + 1] && sameDir(argv[i + 1], dataDir);
  }
}

/** Every live postgres process (postmaster or backend) whose working directory is `dataDir`. */
export function postgresProcessesOf(dataDir: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => pidAlive(pid) && isPostgresOf(pid, dataDir));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitAllGone(pids: number[], ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (pids.some(pidAlive)) {
    if (Date.now() > until) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Makes `dataDir` free for a new postmaster. A postmaster of this data dir whose panel is gone
 * (its parent is no longer a node process) gets a fast shutdown (SIGINT: roll back, close
 * connections, checkpoint), then an immediate one (SIGQUIT) if it hangs; never SIGKILL, which
 * would leave its backends attached to shared memory. A lock whose pid is dead or belongs to
 * some other process is stale and is moved aside. A postgres of any other data dir is never touched.
 * Throws StartupError when a live panel still owns the postmaster.
 */
export async function clearLeftoverPostmaster(dataDir: string, opts: { fastMs?: number; immediateMs?: number } = {}): Promise<'none' | 'stale-lock' | 'stopped'> {
  const lock = readPostmasterLock(dataDir);
  if (!lock) return 'none';
  if (!pidAlive(lock.pid) || !isPostgresOf(lock.pid, dataDir)) {
    // Backends of a killed postmaster notice its death and exit on their own; a new postmaster refuses to start beside them.
    const rest = postgresProcessesOf(dataDir);
    if (rest.length && !(await waitAllGone(rest, 5_000))) {
      logger.warn({ pids: rest, dataDir }, 'embedded postgres: backends of a dead postmaster still run: immediate shutdown');
      for (const pid of rest) if (pidAlive(pid)) process.kill(pid, 'SIGQUIT');
      await waitAllGone(rest, 10_000);
    }
    // Postgres ignores a lock whose pid is dead, but not one whose pid now belongs to another postgres-owned process.
    if (pidAlive(lock.pid)) {
      const aside = path.join(dataDir, `postmaster.pid.stale-${Date.now()}`);
      renameSync(path.join(dataDir, 'postmaster.pid'), aside);
      logger.warn({ pid: lock.pid, dataDir, movedTo: aside }, 'embedded postgres: stale lock (its pid is another process now) moved aside');
    }
    return 'stale-lock';
  }
  const ppid = parentOf(lock.pid);
  if (ppid && ppid > 1 && procRead(ppid, 'comm')?.trim() === 'node') {
    throw new StartupError(
      `the embedded Postgres in ${dataDir} (pid ${lock.pid}) belongs to a running process (pid ${ppid}), probably another panel`,
      `stop that panel first (kill -TERM ${ppid}), or give this one its own VZPANEL_DATA_DIR`,
    );
  }
  logger.warn({ pid: lock.pid, port: lock.port, dataDir }, 'embedded postgres left running by a dead panel: fast shutdown');
  process.kill(lock.pid, 'SIGINT');
  if (await waitAllGone([lock.pid], opts.fastMs ?? 30_000)) return 'stopped';
  logger.warn({ pid: lock.pid }, 'embedded postgres did not finish a fast shutdown: immediate shutdown');
  if (pidAlive(lock.pid)) process.kill(lock.pid, 'SIGQUIT');
  if (await waitAllGone([lock.pid], opts.immediateMs ?? 15_000)) return 'stopped';
  throw new StartupError(
    `the embedded Postgres left in ${dataDir} by a previous panel (pid ${lock.pid}) does not stop`,
    `look at what it is doing (ps -o pid,stat,cmd --ppid ${lock.pid}); stop it yourself (kill -QUIT ${lock.pid}), then start the panel again`,
  );
}
