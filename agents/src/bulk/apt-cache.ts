// The node's shared package cache: a small caching HTTP proxy on the bridge, so a package update
// across many VEs downloads each file once per node (vzpkg's shared cache, REFERENCE.md §1).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';

export const DEFAULT_APT_HOSTS = ['deb.debian.org', 'security.debian.org', 'ftp.debian.org'];
export const DEFAULT_APT_PORT = 3142;
// Index files change upstream; packages (pool/) never do under the same name.
const INDEX_TTL_MS = 5 * 60_000;

interface Meta { status: number; contentType?: string; fetchedAt: number }

interface CacheState {
  server: http.Server;
  address: string;
  port: number;
  cacheDir: string;
  allowHosts: Set<string>;
  fetches: Map<string, number>;
  inflight: Map<string, Promise<void>>;
  hits: number;
  misses: number;
}

let current: CacheState | undefined;

export async function bridgeIpv4(bridge: string): Promise<string | undefined> {
  const r = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge], { allowFail: true });
  return /\sinet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout)?.[1];
}

const normHost = (h: string) => (h.includes(':') ? h.toLowerCase() : `${h.toLowerCase()}:80`);

export function aptCacheStats(vzroot: string) {
  const c = current;
  return {
    running: !!c,
    address: c?.address,
    port: c?.port,
    proxyUrl: c ? `http://${c.address}:${c.port}/` : undefined,
    cacheDir: c?.cacheDir ?? path.join(vzroot, 'cache', 'apt'),
    allowHosts: c ? [...c.allowHosts] : [],
    upstreamFetches: Object.fromEntries(c?.fetches ?? []),
    hits: c?.hits ?? 0,
    misses: c?.misses ?? 0,
  };
}

/**
 * Starts the proxy (or updates its allow-list). It listens only on `address` (the bridge, which
 * only VEs reach), answers only GET/HEAD for absolute http:// URLs whose host:port is allowed, and
 * never tunnels (no CONNECT): VEs get packages, not a way out.
 */
export async function ensureAptCache(vzroot: string, o: { address: string; port?: number; allowHosts?: string[] }) {
  const allow = new Set((o.allowHosts ?? DEFAULT_APT_HOSTS).map(normHost));
  const port = o.port ?? DEFAULT_APT_PORT;
  if (current && current.address === o.address && current.port === port) {
    current.allowHosts = allow;
    return aptCacheStats(vzroot);
  }
  if (current) await stopAptCache();
  const cacheDir = path.join(vzroot, 'cache', 'apt');
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  const st: CacheState = { server: http.createServer(), address: o.address, port, cacheDir, allowHosts: allow, fetches: new Map(), inflight: new Map(), hits: 0, misses: 0 };
  st.server.on('request', (req, res) => {
    handle(st, req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`cache error: ${(e as Error).message}\n`);
    });
  });
  st.server.on('connect', (_req, socket) => socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n'));
  await new Promise<void>((resolve, reject) => {
    st.server.once('error', (e) => reject(new VeError('INTERNAL', `apt cache cannot listen on ${o.address}:${port}: ${e.message}`)));
    st.server.listen(port, o.address, () => resolve());
  });
  current = st;
  return aptCacheStats(vzroot);
}

export async function stopAptCache(): Promise<void> {
  const c = current;
  current = undefined;
  if (c) await new Promise<void>((r) => c.server.close(() => r()));
}

async function handle(st: CacheState, req: http.IncomingMessage, res: http.ServerResponse) {
  let url: URL;
  try {
    url = new URL(req.url ?? '');
  } catch {
    res.writeHead(400).end('absolute http:// URL expected (use me as a proxy)\n');
    return;
  }
  if (url.protocol !== 'http:' || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(405).end('only GET/HEAD of http:// URLs\n');
    return;
  }
  const hostPort = `${url.hostname.toLowerCase()}:${url.port || '80'}`;
  if (!st.allowHosts.has(hostPort)) {
    res.writeHead(403).end(`host ${hostPort} is not allowed through the package cache\n`);
    return;
  }
  const key = `http://${hostPort}${url.pathname}`;
  const file = path.join(st.cacheDir, createHash('sha256').update(key).digest('hex'));
  let meta = await readMeta(file);
  const fresh = meta?.status === 200 && (!/\/dists\/|Release|Packages|Sources|Translation|Contents/.test(url.pathname) || Date.now() - meta.fetchedAt < INDEX_TTL_MS);
  if (fresh) st.hits++;
  else {
    st.misses++;
    // Single flight: VEs asking for the same file at once wait for one upstream fetch.
    let p = st.inflight.get(key);
    if (!p) {
      p = fetchUpstream(st, key, url, file).finally(() => st.inflight.delete(key));
      st.inflight.set(key, p);
    }
    await p;
    meta = await readMeta(file);
  }
  if (!meta) throw new Error('upstream fetch left nothing');
  const size = (await stat(`${file}.body`)).size;
  res.writeHead(meta.status, { 'content-length': String(size), ...(meta.contentType ? { 'content-type': meta.contentType } : {}) });
  if (req.method === 'HEAD') res.end();
  else createReadStream(`${file}.body`).pipe(res);
}

async function readMeta(file: string): Promise<Meta | undefined> {
  try {
    return JSON.parse(await readFile(`${file}.meta`, 'utf8')) as Meta;
  } catch {
    return undefined;
  }
}

function fetchUpstream(st: CacheState, key: string, url: URL, file: string): Promise<void> {
  st.fetches.set(key, (st.fetches.get(key) ?? 0) + 1);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  return new Promise<void>((resolve, reject) => {
    const up = http.get({ host: url.hostname, port: url.port || 80, path: url.pathname + url.search, headers: { 'user-agent': 'vzagentd-apt-cache' }, timeout: 60_000 }, (r) => {
      const out = createWriteStream(tmp, { mode: 0o600 });
      r.pipe(out);
      out.on('error', reject);
      out.on('finish', () => {
        void (async () => {
          await rename(tmp, `${file}.body`);
          // Errors are served once and not kept: only 200 answers are cached.
          const fetchedAt = r.statusCode === 200 ? Date.now() : 0;
          await writeFile(`${file}.meta`, JSON.stringify({ status: r.statusCode ?? 502, contentType: r.headers['content-type'], fetchedAt } satisfies Meta));
        })().then(resolve, reject);
      });
    });
    up.on('timeout', () => up.destroy(new Error('upstream timed out')));
    up.on('error', (e) => { void rm(tmp, { force: true }); reject(e); });
  });
}
