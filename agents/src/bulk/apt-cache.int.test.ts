// The node's package cache against a VE that asks for too much: the cache stays within its limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createVe } from '../lxc/create';
import { execInVe } from '../lxc/exec';
import { startVe } from '../lxc/power';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { run } from '../sys/exec';
import { withUndo } from '../sys/undo';
import { aptCacheStats, aptCacheUsage, assertBridgeAddress, ensureAptCache, stopAptCache } from './apt-cache';

const KiB = 1024;
const MiB = KiB * KiB;
const FILE = 256 * KiB;
let node: TestNode;
let ctid: number;
let upstream: http.Server;
let up: string;
const BRIDGE_IP = '10.199.73.1';

beforeAll(async () => {
  node = await makeTestNode({ ctidBase: 7300, ctidCount: 100, bridgePrefix: 'tntbr', net: '10.199.73', tmpPrefix: '/tmp/tnt-rt-' });
  await run('ip', ['addr', 'add', `${BRIDGE_IP}/24`, 'dev', node.bridge]);
  ctid = node.ctid();
  await withUndo((u) => createVe(node, { ctid, ostemplate: 'busybox', hostname: 'apt.test', ips: [node.ip()], ram: 64 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 8192 }, u));
  await withUndo((u) => startVe(node, ctid, u));
  // Stand-in for the Debian mirror on the host's loopback: every path is a different 256 KiB package, one is 2 MiB.
  upstream = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/vnd.debian.binary-package' }).end(randomBytes(req.url!.includes('huge') ? 2 * MiB : FILE)));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  up = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await stopAptCache();
  upstream?.close();
  await node?.cleanup();
});

const cacheBytes = () => {
  const dir = path.join(node.vzroot, 'cache', 'apt');
  return readdirSync(dir).reduce((n, f) => n + (statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0), 0);
};

const fetchAll = (names: string[], proxyUrl: string) => execInVe(node, {
  ctid, env: { http_proxy: proxyUrl }, timeoutSec: 120,
  script: names.map((n) => `wget -q -O /dev/null 'http://${up}/debian/pool/main/${n}.deb' && echo ok || echo fail`).join('\n') + '\n',
});

describe('the package cache, asked by a VE for many distinct files', () => {
  it('never holds more than its cap on disk, and still serves every file', async () => {
    const cap = MiB;
    const cache = await ensureAptCache(node.vzroot, { address: BRIDGE_IP, port: 43_301, allowHosts: [up], limits: { maxBytes: cap, maxFileBytes: 512 * KiB, burst: 1000 } });
    let max = 0;
    let done = false;
    const sample = (async () => { while (!done) { max = Math.max(max, cacheBytes()); await new Promise((r) => setTimeout(r, 10)); } })();
    const r = await fetchAll(Array.from({ length: 24 }, (_, i) => `f/file-${i}`), cache.proxyUrl!);
    done = true;
    await sample;
    expect(r.stdout.trim().split('\n')).toEqual(Array(24).fill('ok'));
    // 24 x 256 KiB = 6 MiB asked for; never more than the cap (plus the metadata files) on disk.
    expect(max).toBeLessThanOrEqual(cap + 64 * KiB);
    expect(aptCacheUsage()!.bytes).toBeLessThanOrEqual(cap);
    expect(aptCacheStats(node.vzroot).misses).toBe(24);
  });

  it('refuses a file over the per-file limit without keeping any of it', async () => {
    const before = cacheBytes();
    const r = await fetchAll(['h/huge'], aptCacheStats(node.vzroot).proxyUrl!);
    expect(r.stdout.trim()).toBe('fail');
    expect(cacheBytes()).toBeLessThanOrEqual(before);
  });

  it('slows a VE that asks for new files faster than its share', async () => {
    const cache = await ensureAptCache(node.vzroot, { address: BRIDGE_IP, port: 43_301, allowHosts: [up], limits: { maxBytes: MiB, maxFileBytes: 512 * KiB, burst: 5, missesPerSec: 0.01 } });
    const r = await fetchAll(Array.from({ length: 10 }, (_, i) => `r/rate-${i}`), cache.proxyUrl!);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l === 'ok').length).toBe(5);
    expect(aptCacheUsage()!.limited).toBeGreaterThanOrEqual(5);
  });

  it('stops by itself when no job has used it for a while', async () => {
    await ensureAptCache(node.vzroot, { address: BRIDGE_IP, port: 43_301, allowHosts: [up], limits: { idleMs: 500 } });
    expect(aptCacheStats(node.vzroot).running).toBe(true);
    await new Promise((r) => setTimeout(r, 1200));
    expect(aptCacheStats(node.vzroot).running).toBe(false);
  });

  it('listens only on an address of the VE bridge', async () => {
    await expect(assertBridgeAddress(node.bridge, '127.0.0.1')).rejects.toMatchObject({ code: 'BAD_PARAMS' });
    await expect(assertBridgeAddress(node.bridge, '0.0.0.0')).rejects.toMatchObject({ code: 'BAD_PARAMS' });
    await expect(assertBridgeAddress(node.bridge, BRIDGE_IP)).resolves.toBeUndefined();
  });
});
