// bulk.exec and the shared package cache on a real node (vzagentd, LXC, busybox VEs on a test bridge).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTestNode, type TestNode } from '@/agents/src/lxc/test-env';
import { bulkLogDir } from '@/agents/src/bulk/exec';
import { run } from '@/agents/src/sys/exec';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { closeAll, getAgent } from '@/server/nodes/pool';
import type { AgentClient } from '@/server/nodes/client';
import type { Notification } from '@/agents/protocol';

const MiB = 2 ** 20;
let tn: TestNode;
let daemon: LocalDaemon;
let agent: AgentClient;
const net = randomInt(100, 250);
const bridgeIp = `10.199.${net}.1`;
const ctids: number[] = [];
const base = randomInt(40, 49) * 1000 + randomInt(0, 900);

beforeAll(async () => {
  tn = await makeTestNode();
  daemon = await ensureLocalDaemon({
    vzroot: tn.vzroot, bridge: tn.bridge,
    env: { VZ_VE_NETWORKS: '10.199.0.0/16', VZ_BRIDGE_ADDR: `${bridgeIp}/24`, VZ_AGENT_TEST_HANDLERS: '1' },
  });
  agent = getAgent(`bulk-agent-${base}`, { transport: 'local', socket: daemon.socket });
  for (let i = 0; i < 6; i++) ctids.push(base + i);
  // Created in parallel through the agent (each VE has its own lock).
  await Promise.all(ctids.map((ctid, i) => agent.call('ve.create', {
    ctid, ostemplate: 'busybox', hostname: `b${ctid}.test`, ips: [`10.199.${net}.${10 + i}/24`], gateway: bridgeIp,
    ram: 64 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 8192, start: i !== 5,
  }, { opId: `t-create-${ctid}` })));
}, 180_000);

afterAll(async () => {
  await closeAll();
  await daemon?.stop('SIGKILL');
  await tn?.cleanup();
});

describe('bulk.exec', () => {
  it('runs a script in many VEs, streams one event per VE, keeps full logs, and reports busy/stopped VEs alone', { timeout: 120_000 }, async () => {
    // Two VEs carry a marker that makes the script fail.
    for (const c of ctids.slice(1, 3)) await writeFile(path.join(tn.vzroot, 'root', String(c), 'fail-me'), 'x');
    // A VE busy with another operation is that VE's failure, not the batch's.
    const busy = agent.call('test.sleep', { ctid: ctids[3], ms: 4000 }, { opId: `t-sleep-${base}` });
    await new Promise((r) => setTimeout(r, 300));
    const events: Record<string, unknown>[] = [];
    const script = 'echo "hello from $(hostname)"; for i in $(seq 1 300); do echo "line $i"; done; echo warn >&2; [ -e /fail-me ] && exit 3; exit 0\n';
    const opId = `t-bulk-${base}`;
    const res = await agent.call('bulk.exec', { items: ctids.map((ctid) => ({ ctid })), script, timeoutSec: 30, concurrency: 4, tailBytes: 256 }, {
      opId, onNotification: (n: Notification) => { if (n.method === 'event' && n.params.type === 'bulk.item') events.push(n.params.data!); },
    });
    await busy;
    expect(events).toHaveLength(6);
    const by = new Map(res.items.map((r) => [r.ctid, r]));
    expect(by.get(ctids[0])).toMatchObject({ state: 'ok', exitCode: 0, timedOut: false });
    expect(by.get(ctids[0])!.stdoutTail).toContain('line 300');
    expect(by.get(ctids[0])!.stdoutTail.length).toBeLessThanOrEqual(256);
    expect(by.get(ctids[0])!.stderrTail).toContain('warn');
    expect(by.get(ctids[1])).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(by.get(ctids[2])).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(by.get(ctids[3])).toMatchObject({ state: 'error', errorCode: 'VE_LOCKED' });
    expect(by.get(ctids[4])).toMatchObject({ state: 'ok' });
    expect(by.get(ctids[5])).toMatchObject({ state: 'error', errorCode: 'VE_NOT_RUNNING' });
    expect(res).toMatchObject({ total: 6, ok: 2, failed: 2, errors: 2 });
    // The full output is kept per VE and fetchable.
    const log = await agent.call('bulk.log', { opId, ctid: ctids[0] });
    expect(log.text).toContain(`hello from b${ctids[0]}`);
    expect(log.text).toContain('line 1\n');
    expect(log.text).toContain('line 300');
    // Journaled by opId: a repeat returns the recorded result without running again.
    const again = await agent.call('bulk.exec', { items: ctids.map((ctid) => ({ ctid })), script, timeoutSec: 30, concurrency: 4, tailBytes: 256 }, { opId });
    expect(again.items).toEqual(res.items);
  });

  it('times a VE out and cancels the VEs not yet started', { timeout: 60_000 }, async () => {
    const opId = `t-bulk-slow-${base}`;
    const call = agent.call('bulk.exec', { items: ctids.slice(0, 5).map((ctid) => ({ ctid })), command: ['sleep', '30'], timeoutSec: 2, concurrency: 1 }, { opId });
    await new Promise((r) => setTimeout(r, 500));
    expect(await agent.call('bulk.cancel', { opId })).toMatchObject({ cancelled: true });
    const res = await call;
    expect(res.items.find((r) => r.ctid === ctids[0])).toMatchObject({ state: 'failed', timedOut: true });
    expect(res.cancelled).toBe(4);
  });
});

// Host processes whose argv is exactly `argv` (VE processes are visible from the host's pid namespace).
async function pidsRunning(argv: string[]): Promise<number[]> {
  const want = `${argv.join('\0')}\0`;
  const out: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    if ((await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '')) === want) out.push(Number(d));
  }
  return out;
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const v = await f();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('bulk.exec launcher (issue 15)', () => {
  it('kills a hung VE command and everything it started from the host when its time is up', { timeout: 60_000 }, async () => {
    const hung = ['sleep', `${base % 1000 + 31_000}`];
    const t0 = Date.now();
    const res = await agent.call('bulk.exec', {
      items: [{ ctid: ctids[0] }, { ctid: ctids[1] }], script: `${hung.join(' ')} & ${hung.join(' ')}; echo never\n`, timeoutSec: 1, concurrency: 2,
    }, { opId: `t-bulk-hung-${base}` });
    expect(Date.now() - t0).toBeLessThan(15_000);
    for (const r of res.items) expect(r).toMatchObject({ state: 'failed', timedOut: true, exitCode: 137, stdoutTail: '' });
    expect(res.items[0].durationMs).toBeGreaterThanOrEqual(1000);
    // Both sleeps (the waited one and the background one) are gone, not left running in the VEs.
    await new Promise((r) => setTimeout(r, 300));
    expect(await pidsRunning(hung)).toEqual([]);
  });

  it('reports a VE stopped in the middle of its command as an error and goes on with the rest', { timeout: 120_000 }, async () => {
    const victim = ctids[4];
    const opId = `t-bulk-stop-${base}`;
    try {
      const call = agent.call('bulk.exec', {
        items: [ctids[0], victim, ctids[1]].map((ctid) => ({ ctid })), script: 'echo started; sleep 3; echo done\n', timeoutSec: 30, concurrency: 1,
      }, { opId });
      // Stop it from outside the agent (a tenant's halt, an OOM of init) once its command runs.
      await waitFor('the victim\'s command to start', async () => ((await readFile(path.join(bulkLogDir(tn.vzroot, opId), `${victim}.log`), 'utf8').catch(() => '')).includes('started') ? true : undefined));
      await run('lxc-stop', ['-n', String(victim), '-P', path.join(tn.vzroot, 'lxc'), '-k']);
      const res = await call;
      const by = new Map(res.items.map((r) => [r.ctid, r]));
      expect(by.get(ctids[0])).toMatchObject({ state: 'ok', exitCode: 0 });
      expect(by.get(victim), JSON.stringify(by.get(victim))).toMatchObject({ state: 'error', errorCode: 'VE_STOPPED' });
      expect(by.get(victim)!.stdoutTail).toContain('started');
      expect(by.get(victim)!.stdoutTail).not.toContain('done');
      expect(by.get(ctids[1])).toMatchObject({ state: 'ok', exitCode: 0 });
      expect(by.get(ctids[1])!.stdoutTail).toBe('started\ndone\n');
    } finally {
      await agent.call('ve.start', { ctid: victim }, { opId: `t-restart-${victim}-${Date.now()}` });
    }
  });

  it('fails the rest with a clear reason when the launcher dies mid-run, kills what it started and holds no lock', { timeout: 120_000 }, async () => {
    const opId = `t-bulk-launcher-${base}`;
    const hung = ['sleep', `${base % 1000 + 32_000}`];
    const items = ctids.slice(0, 5).map((ctid) => ({ ctid }));
    const call = agent.call('bulk.exec', { items, command: hung, timeoutSec: 60, concurrency: 2 }, { opId });
    // The launcher is the daemon's child carrying the run's name (its per-VE subshells carry it too).
    const marked = async (pids: string[]) => {
      const out: number[] = [];
      for (const d of pids) if ((await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '')).split('\0').includes(`vzbulk-${opId}`)) out.push(Number(d));
      return out;
    };
    const launcher = await waitFor('the launcher and two VE commands', async () => {
      if ((await pidsRunning(hung)).length < 2) return undefined;
      const kids = (await readFile(`/proc/${daemon.pid}/task/${daemon.pid}/children`, 'utf8').catch(() => '')).trim().split(' ');
      return (await marked(kids))[0];
    });
    process.kill(launcher, 'SIGKILL');
    const res = await call;
    expect(res).toMatchObject({ total: 5, ok: 0, errors: 5 });
    for (const r of res.items) {
      expect(r).toMatchObject({ state: 'error', errorCode: 'LAUNCHER_DIED' });
      expect(r.error).toMatch(/bulk launcher \(pid \d+\) ended \(killed by SIGKILL\)/);
    }
    expect(await pidsRunning(hung)).toEqual([]);
    expect(await marked((await readdir('/proc')).filter((d) => /^\d+$/.test(d)))).toEqual([]);
    // Every VE's lock was released: the same VEs run again at once.
    const again = await agent.call('bulk.exec', { items, command: ['true'], timeoutSec: 30, concurrency: 5 }, { opId: `${opId}-again` });
    expect(again).toMatchObject({ total: 5, ok: 5 });
  });
});

describe('shared package cache', () => {
  it('several VEs fetch the same file through the node proxy; upstream sees one fetch', { timeout: 60_000 }, async () => {
    // Stand-in for the Debian mirror on the host's loopback (the test sends nothing outside).
    const body = Buffer.alloc(512 * 1024, 7);
    const hits = new Map<string, number>();
    const upstream = http.createServer((req, res) => {
      hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
      if (req.url === '/debian/pool/main/h/hello/hello_2.10-3_amd64.deb') res.writeHead(200, { 'content-type': 'application/vnd.debian.binary-package' }).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    try {
      const up = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      const port = randomInt(20_000, 30_000);
      const cache = await agent.call('bulk.aptCache', { action: 'ensure', port, allowHosts: [up] });
      expect(cache).toMatchObject({ running: true, address: bridgeIp, port });
      const url = `http://${up}/debian/pool/main/h/hello/hello_2.10-3_amd64.deb`;
      const running = ctids.slice(0, 5);
      const res = await agent.call('bulk.exec', {
        items: running.map((ctid) => ({ ctid })), concurrency: 5, timeoutSec: 30,
        env: { http_proxy: cache.proxyUrl! },
        script: `wget -q -O /tmp/pkg.deb '${url}' && md5sum /tmp/pkg.deb | cut -d' ' -f1\n`,
      }, { opId: `t-bulk-wget-${base}` });
      const md5 = createHash('md5').update(body).digest('hex');
      for (const r of res.items) expect({ ctid: r.ctid, state: r.state, out: r.stdoutTail.trim(), err: r.stderrTail }).toEqual({ ctid: r.ctid, state: 'ok', out: md5, err: '' });
      // A second round is served from the cache.
      await agent.call('bulk.exec', { items: running.map((ctid) => ({ ctid })), env: { http_proxy: cache.proxyUrl! }, script: `wget -q -O /dev/null '${url}'\n` }, { opId: `t-bulk-wget2-${base}` });
      expect(hits.get('/debian/pool/main/h/hello/hello_2.10-3_amd64.deb')).toBe(1);
      const stats = await agent.call('bulk.aptCache', { action: 'stats' });
      expect(stats.upstreamFetches[`http://${up}/debian/pool/main/h/hello/hello_2.10-3_amd64.deb`]).toBe(1);
      expect(stats.hits + stats.misses).toBe(10);
      // Hosts outside the allow-list are refused (the cache is not a way out of the VE network).
      const denied = await agent.call('bulk.exec', { items: [{ ctid: running[0] }], env: { http_proxy: cache.proxyUrl! }, script: 'wget -q -O /dev/null http://example.com/\n' }, { opId: `t-bulk-deny-${base}` });
      expect(denied.items[0].state).toBe('failed');
      expect(denied.items[0].stderrTail).toMatch(/403/);
    } finally {
      await agent.call('bulk.aptCache', { action: 'stop' }).catch(() => undefined);
      upstream.close();
    }
  });
});
