// HTTPS served by the panel itself: given a certificate and key (or asked to make a self-signed
// pair), the panel answers on HTTPS with HSTS and its plain HTTP port only redirects there.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface TlsFiles {
  cert: string;
  key: string;
  /** Their contents, read before the panel dropped root (a key such as /etc/ssl/private/* is root's). */
  pem?: { cert: Buffer; key: Buffer };
}

/** One year, subdomains left alone (the panel does not own its parent domain). */
export const HSTS = 'max-age=31536000';

/**
 * Where the certificate comes from: VZPANEL_TLS_CERT + VZPANEL_TLS_KEY (PEM files), or
 * VZPANEL_TLS=self-signed (made once under <dataDir>/tls, kept across restarts). Unset: plain HTTP.
 */
export function tlsFromEnv(env: NodeJS.ProcessEnv): TlsFiles | 'self-signed' | undefined {
  const { VZPANEL_TLS_CERT: cert, VZPANEL_TLS_KEY: key, VZPANEL_TLS: mode } = env;
  if (cert || key) {
    if (!cert || !key) throw new Error('TLS: set both VZPANEL_TLS_CERT and VZPANEL_TLS_KEY (PEM files), or neither');
    for (const f of [cert, key]) if (!existsSync(f)) throw new Error(`TLS: ${f} does not exist`);
    return { cert, key };
  }
  if (mode === 'self-signed') return 'self-signed';
  if (mode && mode !== 'off') throw new Error(`VZPANEL_TLS must be "self-signed" or "off", got ${mode}`);
  return undefined;
}

/** A self-signed certificate for this host (and localhost), made with openssl once and reused. */
export async function selfSignedFiles(dataDir: string): Promise<TlsFiles> {
  const dir = path.join(dataDir, 'tls');
  const files = { cert: path.join(dir, 'self-signed.crt'), key: path.join(dir, 'self-signed.key') };
  if (existsSync(files.cert) && existsSync(files.key)) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const host = os.hostname();
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
    '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host},DNS:localhost,IP:127.0.0.1,IP:::1`,
    '-keyout', files.key, '-out', files.cert,
  ]);
  return files;
}

/**
 * An HTTPS server with every request and upgrade listener of `plain` (same routes, same WebSocket
 * handling), each response carrying HSTS.
 */
export function httpsTwin(plain: http.Server, files: TlsFiles): https.Server {
  const server = https.createServer(files.pem ?? { cert: readFileSync(files.cert), key: readFileSync(files.key) });
  for (const l of plain.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('Strict-Transport-Security', HSTS);
      l(req, res);
    });
  }
  for (const l of plain.listeners('upgrade') as Array<(...a: unknown[]) => void>) server.on('upgrade', l);
  return server;
}

/** The plain-HTTP side when HTTPS is on: every request is sent to the same path on `httpsPort` (308 keeps the method). */
export function redirectToHttps(httpsPort: number): http.Server {
  return http.createServer((req, res) => {
    const host = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
    const safeHost = /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(host) ? host : 'localhost';
    const target = new URL(req.url ?? '/', `https://${safeHost}:${httpsPort}`);
    res.writeHead(308, { Location: target.toString(), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(`This panel is served over HTTPS: ${target.toString()}\n`);
  });
}

// Node's default accept backlog (511) drops SYNs when a thousand billing clients connect at once
// and the loop is busy; they then retry for two minutes and fail. The kernel caps it at somaxconn.
const LISTEN_BACKLOG = 4096;

const listenOn = (s: http.Server | https.Server, port: number, host: string) =>
  new Promise<number>((resolve, reject) => {
    s.once('error', reject);
    s.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolve((s.address() as { port: number }).port));
  });

/**
 * Starts listening: plain HTTP on `port`, or, with TLS, HTTPS on `httpsPort` and redirects on
 * `port`. Returns the panel's URL and every server that must be closed on shutdown.
 */
export async function listenPanel(plain: http.Server, cfg: { port: number; httpsPort: number; host: string; dataDir: string; tls?: TlsFiles | 'self-signed' }) {
  if (!cfg.tls) {
    const port = await listenOn(plain, cfg.port, cfg.host);
    return { url: `http://localhost:${port}`, servers: [plain] };
  }
  const files = cfg.tls === 'self-signed' ? await selfSignedFiles(cfg.dataDir) : cfg.tls;
  const secure = httpsTwin(plain, files);
  const port = await listenOn(secure, cfg.httpsPort, cfg.host);
  const redirect = redirectToHttps(port);
  await listenOn(redirect, cfg.port, cfg.host);
  return { url: `https://localhost:${port}`, servers: [secure, redirect] };
}
