// The node's shared package cache: a small caching HTTP proxy on the bridge, so a package update
// across many VEs downloads each file once per node (vzpkg's shared cache, REFERENCE.md §1).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { run } from '../sys/exec';
import { VeError } from '../sys/errors';
import { CacheStore, type StoreLimits } from './apt-cache-store';

export const DEFAULT_APT_HOSTS = ['deb.debian.org', 'security.debian.org', 'ftp.debian.org'];
export const DEFAULT_APT_PORT = 3142;
// Index files change upstream; packages (pool/) never do under the same name.
const INDEX_TTL_MS = 5 * 60_000;

interface Meta { status: number; contentType?: string; fetchedAt: number }

/** What one node gives the package cache, and what one VE may ask of it. */
export interface AptCacheLimits extends StoreLimits {
  /** Largest single file fetched (bigger answers are refused, not cached). */
  maxFileBytes: number;
  /** Stops itself after this long without a request; the next package job starts it again. */
  idleMs: number;
  /** Upstream fetches (cache misses) per VE address: a bucket of `burst`, refilled at `missesPerSec`. */
  missesPerSec: number;
  burst: number;
  /** Open connections per VE address. */
  connsPerVe: number;
}

export const DEFAULT_APT_LIMITS: AptCacheLimits = {
  maxBytes: 2 * 1024 ** 3, maxAgeMs: 30 * 86_400_000, maxEntries: 50_000, maxFileBytes: 512 * 1024 ** 2,
  idleMs: 15 * 60_000, missesPerSec: 5, burst: 300, connsPerVe: 16,
};
// Per-URL fetch counters shown in the stats: only the most recent ones are kept.
const MAX_FETCH_COUNTERS = 1000;
// Token buckets of VE addresses seen lately (a /16 of VEs would otherwise grow the map for ever).
const MAX_BUCKETS = 4096;

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
  limited: number;
  limits: AptCacheLimits;
  store: CacheStore;
  buckets: Map<string, { tokens: number; at: number }>;
  conns: Map<string, number>;
  idle?: NodeJS.Timeout;
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

/** Cache size, entries and refusals (not on the wire: the stats verb's result is fixed). */
export const aptCacheUsage = () => (current ? { bytes: current.store.bytes, entries: current.store.entries, limited: current.limited, limits: current.limits } : undefined);

/**
 * Refuses a listen address that is not one of `bridge`'s own IPv4 addresses: the cache is for
 * the VEs on the bridge, never for an address reachable from outside the node.
 */
export async function assertBridgeAddress(bridge: string, address: string): Promise<void> {
  const r = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge], { allowFail: true });
  const mine = [...r.stdout.matchAll(/\sinet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]);
  if (!mine.includes(address)) throw new VeError('BAD_PARAMS', `the package cache listens only on an address of bridge ${bridge} (${mine.join(', ') || 'none'}), not ${address}`);
}

/**
 * Starts the proxy (or updates its allow-list). It listens only on `address` (the bridge, which
 * only VEs reach), answers only GET/HEAD for absolute http:// URLs whose host:port is allowed, and
 * never tunnels (no CONNECT): VEs get packages, not a way out.
 */
export async function ensureAptCache(vzroot: string, o: { address: string; port?: number; allowHosts?: string[]; limits?: Partial<AptCacheLimits> }) {
  const allow = new Set((o.allowHosts ?? DEFAULT_APT_HOSTS).map(normHost));
  const port = o.port ?? DEFAULT_APT_PORT;
  const limits = { ...DEFAULT_APT_LIMITS, ...o.limits };
  limits.maxFileBytes = Math.min(limits.maxFileBytes, limits.maxBytes);
  if (current && current.address === o.address && current.port === port) {
    current.allowHosts = allow;
    current.limits = limits;
    current.store.limits = limits;
    idleFrom(current);
    return aptCacheStats(vzroot);
  }
  if (current) await stopAptCache();
  const cacheDir = path.join(vzroot, 'cache', 'apt');
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  const store = new CacheStore(cacheDir, limits);
  await store.load();
  const st: CacheState = {
    server: http.createServer({ requestTimeout: 120_000, headersTimeout: 30_000 }), address: o.address, port, cacheDir, allowHosts: allow,
    fetches: new Map(), inflight: new Map(), hits: 0, misses: 0, limited: 0, limits, store, buckets: new Map(), conns: new Map(),
  };
  st.server.on('connection', (sock) => {
    const ip = sock.remoteAddress ?? '?';
    const n = (st.conns.get(ip) ?? 0) + 1;
    if (n > st.limits.connsPerVe) { st.limited++; sock.destroy(); return; }
    st.conns.set(ip, n);
    sock.once('close', () => { const m = (st.conns.get(ip) ?? 1) - 1; if (m > 0) st.conns.set(ip, m); else st.conns.delete(ip); });
  });
  st.server.on('request', (req, res) => {
    idleFrom(st);
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
  idleFrom(st);
  return aptCacheStats(vzroot);
}

/** (Re)arms the idle stop: no request for `idleMs` and the cache closes (no job needs it). */
function idleFrom(st: CacheState): void {
  clearTimeout(st.idle);
  st.idle = setTimeout(() => { if (current === st) void stopAptCache(); }, st.limits.idleMs);
  st.idle.unref();
}

export async function stopAptCache(): Promise<void> {
  const c = current;
  current = undefined;
  if (!c) return;
  clearTimeout(c.idle);
  c.server.closeIdleConnections();
  await new Promise<void>((r) => c.server.close(() => r()));
}

/** Takes one upstream fetch from the VE's bucket; false when it is empty. */
function takeMiss(st: CacheState, ip: string): boolean {
  const now = Date.now();
  const b = st.buckets.get(ip) ?? { tokens: st.limits.burst, at: now };
  st.buckets.delete(ip); // re-inserted last: the map stays in least-recently-seen order
  b.tokens = Math.min(st.limits.burst, b.tokens + ((now - b.at) / 1000) * st.limits.missesPerSec);
  b.at = now;
  const ok = b.tokens >= 1;
  if (ok) b.tokens -= 1;
  st.buckets.set(ip, b);
  if (st.buckets.size > MAX_BUCKETS) st.buckets.delete(st.buckets.keys().next().value!);
  return ok;
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
  const hash = createHash('sha256').update(key).digest('hex');
  const file = path.join(st.cacheDir, hash);
  let meta = st.store.has(hash) ? await readMeta(file) : undefined;
  const fresh = meta?.status === 200 && (!/\/dists\/|Release|Packages|Sources|Translation|Contents/.test(url.pathname) || Date.now() - meta.fetchedAt < INDEX_TTL_MS);
  if (fresh) {
    st.hits++;
    st.store.touch(hash);
  } else {
    // Single flight: VEs asking for the same file at once wait for one upstream fetch.
    let p = st.inflight.get(key);
    if (!p) {
      if (!takeMiss(st, req.socket.remoteAddress ?? '?')) {
        st.limited++;
        res.writeHead(429, { 'retry-after': '5' }).end('too many new files from this VE; retry later\n');
        return;
      }
      st.misses++;
      p = fetchUpstream(st, key, url, file, hash).finally(() => st.inflight.delete(key));
      st.inflight.set(key, p);
    } else st.misses++;
    await p;
    meta = await readMeta(file);
  }
  if (!meta) throw new Error('upstream fetch left nothing');
  // Opened once and sized from the open file: an eviction in between cannot change what is sent.
  const fh = await open(`${file}.body`, 'r');
  const size = await fh.stat().then((x) => x.size, async (e: unknown) => { await fh.close(); throw e; });
  res.writeHead(meta.status, { 'content-length': String(size), ...(meta.contentType ? { 'content-type': meta.contentType } : {}) });
  if (req.method === 'HEAD') {
    await fh.close();
    res.end();
    return;
  }
  fh.createReadStream().on('error', () => res.destroy()).pipe(res);
}

async function readMeta(file: string): Promise<Meta | undefined> {
  try {
    return JSON.parse(await readFile(`${file}.meta`, 'utf8')) as Meta;
  } catch {
    return undefined;
  }
}

/** One upstream GET into `<file>.body` + `.meta`, refused past `maxFileBytes`, room made in the store first. */
function fetchUpstream(st: CacheState, key: string, url: URL, file: string, hash: string): Promise<void> {
  st.fetches.delete(key);
  st.fetches.set(key, (st.fetches.get(key) ?? 0) + 1);
  if (st.fetches.size > MAX_FETCH_COUNTERS) st.fetches.delete(st.fetches.keys().next().value!);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const max = st.limits.maxFileBytes;
  return new Promise<void>((resolve, reject) => {
    // The partial file is gone before the VE hears of the refusal: nothing of it stays behind.
    const fail = (e: Error) => { up.destroy(); void rm(tmp, { force: true }).finally(() => reject(e)); };
    const up = http.get({ host: url.hostname, port: url.port || 80, path: url.pathname + url.search, headers: { 'user-agent': 'vzagentd-apt-cache' }, timeout: 60_000 }, (r) => {
      const announced = Number(r.headers['content-length'] ?? NaN);
      if (announced > max) return fail(new Error(`file of ${announced} bytes is over the cache's ${max}-byte limit`));
      void st.store.reserve(Number.isFinite(announced) ? announced : max).then(() => {
        const out = createWriteStream(tmp, { mode: 0o600 });
        let got = 0;
        r.on('data', (b: Buffer) => {
          got += b.length;
          if (got > max) { out.destroy(); fail(new Error(`file is over the cache's ${max}-byte limit`)); }
        });
        r.pipe(out);
        out.on('error', fail);
        out.on('finish', () => {
          if (got > max) return;
          void (async () => {
            await rename(tmp, `${file}.body`);
            // Errors are served once and not kept: only 200 answers are cached.
            const fetchedAt = r.statusCode === 200 ? Date.now() : 0;
            await writeFile(`${file}.meta`, JSON.stringify({ status: r.statusCode ?? 502, contentType: r.headers['content-type'], fetchedAt } satisfies Meta));
            await st.store.add(hash, got);
          })().then(resolve, reject);
        });
      }, fail);
    });
    up.on('timeout', () => up.destroy(new Error('upstream timed out')));
    up.on('error', (e) => { void rm(tmp, { force: true }); reject(e); });
  });
}
