// Starts the panel the way the README's up command does (`node --import tsx server/main.ts`) on a fresh data
// dir, VZ root and random port, reads the printed admin login and URL, and stops it afterwards.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deletePolicyTable } from '@/agents/src/net/antispoof';

const START_TIMEOUT_MS = 240_000;
const root = path.resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Finds `Admin login: <email> <password>` and `Panel: <url>` in plain or pino-JSON log lines. */
export function parseStartupLine(line: string): { admin?: { email: string; password: string }; url?: string } {
  let text = line;
  try {
    const j = JSON.parse(line) as { msg?: unknown };
    if (typeof j.msg === 'string') text = j.msg;
  } catch { /* plain text line */ }
  const admin = /Admin login: (\S+) (\S+)/.exec(text);
  const url = /Panel: (https?:\/\/\S+)/.exec(text);
  return { admin: admin ? { email: admin[1], password: admin[2] } : undefined, url: url?.[1] };
}

function waitForStartup(child: ChildProcess, log: string[]): Promise<{ email: string; password: string; url: string }> {
  return new Promise((resolve, reject) => {
    let admin: { email: string; password: string } | undefined;
    let url: string | undefined;
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`panel did not print its login and URL within ${START_TIMEOUT_MS / 1000}s:\n${log.join('')}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const p = parseStartupLine(line);
        admin ??= p.admin;
        url ??= p.url;
      }
      if (admin && url) { clearTimeout(timer); resolve({ ...admin, url }); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => log.push(c.toString()));
    child.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`panel exited early (${code ?? sig}):\n${log.join('')}`)); });
  });
}

// The panel runs Next in production mode, which needs a build; `./vz test` makes one, a bare run may not have it.
async function ensureNextBuild() {
  if (existsSync(path.join(root, '.next', 'BUILD_ID'))) return;
  await promisify(execFile)('npx', ['next', 'build'], { cwd: root, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, maxBuffer: 64 << 20 });
}

/** Pids of processes whose command line mentions our unique temp dir (e.g. a detached agent left by a hard kill). */
async function pidsUsing(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(dir)) pids.push(Number(d));
  }
  return pids;
}

/**
 * VEs a failed spec left behind under `dir`: stop their containers, unmount their roots (deepest
 * first, lazily: a container may still hold them) and detach their loop devices, so `dir` can go.
 */
async function releaseVes(dir: string) {
  const run = (cmd: string, args: string[]) => promisify(execFile)(cmd, args).then((r) => r.stdout, () => '');
  const lxcpath = path.join(dir, 'vz', 'lxc');
  for (const name of await readdir(lxcpath).catch(() => [] as string[])) await run('lxc-stop', ['-k', '-n', name, '-P', lxcpath]);
  const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`));
  for (const m of mounts.sort((a, b) => b.length - a.length)) await run('umount', ['-l', m]);
  for (const line of (await run('losetup', ['-a'])).split('\n')) {
    const dev = /^(\/dev\/loop\d+):.*\((.*)\)$/.exec(line);
    if (dev && dev[2].startsWith(`${dir}/`)) await run('losetup', ['-d', dev[1]]);
  }
}

const groupAlive = (pgid: number) => {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
};

/** SIGTERM the panel's process group (the panel, its embedded Postgres) and wait until all of it is gone. */
async function stopGroup(child: ChildProcess) {
  const pgid = child.pid;
  if (!pgid || !groupAlive(pgid)) return;
  process.kill(-pgid, 'SIGTERM');
  // main.ts shuts down in order (workers, agent, Postgres); give it the time its own hard stop allows.
  for (const deadline = Date.now() + 35_000; Date.now() < deadline && groupAlive(pgid);) await new Promise((r) => setTimeout(r, 200));
  if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
}

export default async function globalSetup() {
  await ensureNextBuild();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vz-e2e-'));
  // mkdtemp makes it 0700; the panel (and its embedded Postgres) runs as the vzpanel user and must reach data/ and vz/ below it.
  await chmod(tmp, 0o755);
  const port = await freePort();
  const httpsPort = await freePort();
  const bridge = `vze${Math.random().toString(36).slice(2, 9)}`;
  const nodeBridge = `vzn${Math.random().toString(36).slice(2, 9)}`;
  const nodeAgentUser = `vzt${Math.random().toString(16).slice(2, 10)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    PORT: String(port),
    // The whole suite runs over HTTPS (a self-signed pair made on start); PORT only redirects there.
    VZPANEL_TLS: 'self-signed',
    HTTPS_PORT: String(httpsPort),
    VZPANEL_DATA_DIR: path.join(tmp, 'data'),
    VZ_ROOT: path.join(tmp, 'vz'),
    VZ_BRIDGE: bridge,
    // Nodes added through the UI (e2e/nodes.spec.ts) install their agent under tmp, with their own account and bridge.
    VZ_NODE_BOOTSTRAP_DIR: path.join(tmp, 'nodes'),
    VZ_NODE_BOOTSTRAP_AGENT_USER: nodeAgentUser,
    VZ_NODE_BOOTSTRAP_BRIDGE: nodeBridge,
  };
  // A DATABASE_URL from the caller's shell would bypass the fresh embedded Postgres.
  delete env.DATABASE_URL;
  delete env.VZPANEL_ADMIN_EMAIL;
  delete env.VZPANEL_ADMIN_PASSWORD;
  const log: string[] = [];
  // Exactly what `./vz up` runs, as root: the panel prepares its vzpanel user and drops to it itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // VZ_E2E_PANEL_LOG=<file> keeps the panel's whole output (its own log dir goes away with the run).
  if (process.env.VZ_E2E_PANEL_LOG) {
    const out = createWriteStream(process.env.VZ_E2E_PANEL_LOG, { flags: 'a' });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
  }
  const cleanup = async () => {
    const t0 = Date.now();
    await stopGroup(child);
    if (process.env.VZ_E2E_VERBOSE) console.log(`panel stopped in ${Date.now() - t0} ms`);
    for (const pid of await pidsUsing(tmp)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    await releaseVes(tmp);
    // Remove the bridge only if the panel's agent made one (the name is ours and unique).
    await promisify(execFile)('ip', ['link', 'del', bridge]).catch(() => undefined);
    // What a bootstrap through the UI made: the agent account and its bridge (both names are ours).
    await promisify(execFile)('ip', ['link', 'del', nodeBridge]).catch(() => undefined);
    // And the agents' port-filter tables of those bridges.
    for (const b of [bridge, nodeBridge]) await deletePolicyTable(b);
    await promisify(execFile)('userdel', ['-f', nodeAgentUser]).catch(() => undefined);
    await promisify(execFile)('groupdel', [nodeAgentUser]).catch(() => undefined);
    // With VZ_E2E_PANEL_LOG the node's agent log is kept beside the panel's.
    if (process.env.VZ_E2E_PANEL_LOG) await copyFile(path.join(tmp, 'vz', 'log', 'vzagentd.log'), `${process.env.VZ_E2E_PANEL_LOG}.agent`).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    const { email, password, url } = await waitForStartup(child, log);
    process.env.VZ_E2E_BASE_URL = url;
    process.env.VZ_E2E_HTTP_URL = `http://localhost:${port}`;
    process.env.VZ_E2E_ADMIN_EMAIL = email;
    process.env.VZ_E2E_ADMIN_PASSWORD = password;
    process.env.VZ_E2E_LOG_DIR = tmp;
    process.env.VZ_E2E_NODE_AGENT_USER = nodeAgentUser;
  } catch (e) {
    await cleanup();
    throw e;
  }
  return cleanup;
}
