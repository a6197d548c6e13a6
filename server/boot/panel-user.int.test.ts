// The panel started as root the way `./vz up` starts it, with what an unprivileged web tier must
// still get right: a TLS key only root can read is served (read before the drop), and a port
// below 1024 is refused with a clear message instead of an EACCES deep in start-up.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { freePort } from '@/server/db/embedded';
import { postgresProcessesOf } from '@/server/db/postmaster';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync('/tmp/priv-panel-');
chmodSync(tmp, 0o755);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs server/main.ts as root until it prints its URL (or exits); returns its output and the process. */
async function startPanel(env: Record<string, string>, dataDir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, VITEST: undefined, NODE_ENV: 'production', DATABASE_URL: undefined, VZPANEL_DATA_DIR: dataDir, HOST: '127.0.0.1', VZPANEL_LOCAL_NODE: '0', VZPANEL_NO_NEXT: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  for (const until = Date.now() + 120_000; !out.includes('Panel: ') && child.exitCode === null && Date.now() < until;) await sleep(100);
  return { child, output: () => out };
}

const stop = async (child: ReturnType<typeof spawn>) => {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  for (let i = 0; i < 300 && child.exitCode === null; i++) await sleep(100);
  if (child.exitCode === null) child.kill('SIGKILL');
};

afterAll(async () => {
  for (const pid of postgresProcessesOf(path.join(tmp, 'data', 'pgdata'))) process.kill(pid, 'SIGQUIT');
  await sleep(500);
  await rm(tmp, { recursive: true, force: true });
});

describe('the unprivileged panel at start-up', () => {
  it('refuses a port below 1024 before it changes anything, naming the way out', { timeout: 60_000 }, async () => {
    const { child, output } = await startPanel({ PORT: '80' }, path.join(tmp, 'low-data'));
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    expect(child.exitCode).toBe(1);
    expect(output()).toMatch(/port 80 needs root.*unprivileged user vzpanel/);
    expect(output()).toMatch(/reverse proxy/);
    expect(existsSync(path.join(tmp, 'low-data'))).toBe(false);
  });

  it('serves HTTPS with a key only root can read, as a non-root process', { timeout: 180_000 }, async () => {
    const cert = path.join(tmp, 'cert.pem');
    const key = path.join(tmp, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    chmodSync(key, 0o600);
    const [port, httpsPort] = [await freePort(), await freePort()];
    const { child, output } = await startPanel({ PORT: String(port), HTTPS_PORT: String(httpsPort), VZPANEL_TLS_CERT: cert, VZPANEL_TLS_KEY: key }, path.join(tmp, 'data'));
    try {
      expect(output()).toContain(`Panel: https://localhost:${httpsPort}`);
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
      expect(uid).not.toBe(0);
      const status = await new Promise<number>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port: httpsPort, path: '/api/health', ca: readFileSync(cert), servername: 'localhost' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).once('error', reject);
      });
      expect(status).toBe(200);
    } finally {
      await stop(child);
    }
  });
});
