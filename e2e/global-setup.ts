// Starts the panel the way the README's up command does (`tsx server/main.ts`) on a fresh data
// dir, VZ root and random port, reads the printed admin login and URL, and stops it afterwards.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

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

async function stopGroup(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // SIGTERM the whole group (npx → tsx → node, and the embedded Postgres) so main.ts shuts down cleanly.
  try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    await exited;
  }
}

export default async function globalSetup() {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vz-e2e-'));
  const port = await freePort();
  const bridge = `vze${Math.random().toString(36).slice(2, 9)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    PORT: String(port),
    VZPANEL_DATA_DIR: path.join(tmp, 'data'),
    VZ_ROOT: path.join(tmp, 'vz'),
    VZ_BRIDGE: bridge,
  };
  // A DATABASE_URL from the caller's shell would bypass the fresh embedded Postgres.
  delete env.DATABASE_URL;
  delete env.VZPANEL_ADMIN_EMAIL;
  delete env.VZPANEL_ADMIN_PASSWORD;
  const log: string[] = [];
  const child = spawn('npx', ['tsx', 'server/main.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanup = async () => {
    await stopGroup(child);
    // Remove the bridge only if the panel's agent made one (the name is ours and unique).
    await promisify(execFile)('ip', ['link', 'del', bridge]).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    const { email, password, url } = await waitForStartup(child, log);
    process.env.VZ_E2E_BASE_URL = url;
    process.env.VZ_E2E_ADMIN_EMAIL = email;
    process.env.VZ_E2E_ADMIN_PASSWORD = password;
    process.env.VZ_E2E_LOG_DIR = tmp;
  } catch (e) {
    await cleanup();
    throw e;
  }
  return cleanup;
}
