// vzagentd end to end: a real daemon on a temp vzroot, reached through `vzagent rpc` (LocalTransport + AgentClient).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '@/agents/protocol';
import { AgentClient } from '@/server/nodes/client';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { LocalTransport } from '@/server/nodes/local';
import { closeAll, getAgent } from '@/server/nodes/pool';
import { AppError } from '@/server/errors';
import { criuPath } from '@/agents/src/criu/bin';
import { ensureAgentBuilt } from '@/test/fixtures/agent-build';
import { deletePolicyTable } from '@/agents/src/net/antispoof';
import { deleteBridge } from '@/agents/src/net/bridge';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..', '..', '..');
const vzroot = `/tmp/vz-core-${randomBytes(4).toString('hex')}`;
const socket = path.join(vzroot, 'run', 'vzagentd.sock');
const started: LocalDaemon[] = [];
let client: AgentClient;

const startDaemon = async () => {
  const d = await ensureLocalDaemon({ vzroot, socket, bridge: 'vzc-br0', env: { VZ_AGENT_TEST_HANDLERS: '1' } });
  started.push(d);
  return d;
};
const appErr = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as AppError);
const file = (name: string) => path.join(vzroot, name);
const linesOf = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
const opId = () => `op-${randomBytes(5).toString('hex')}`;
/** Resolves on the call's first notification: the daemon holds the lock and the op is running. */
function onFirstNotification(): { seen: Promise<void>; cb: (n: Notification) => void } {
  let fire!: () => void;
  const seen = new Promise<void>((r) => (fire = r));
  return { seen, cb: () => fire() };
}

/** One raw JSON line through `vzagent rpc`; resolves with everything it printed once it exits. */
function rawRpc(line: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repo, 'agents/bin/vzagent'), ['rpc', '--socket', socket]);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out.split('\n').filter(Boolean).map((l) => JSON.parse(l))));
    child.stdin.end(`${line}\n`);
  });
}

beforeAll(async () => {
  await ensureAgentBuilt();
  mkdirSync(vzroot, { recursive: true });
  await startDaemon();
  client = new AgentClient(new LocalTransport({ socket }), { node: 'vzc-test', backoffBaseMs: 50 });
});

afterAll(async () => {
  await client?.close();
  for (const d of started) await d.stop('SIGKILL');
  rmSync(vzroot, { recursive: true, force: true });
  await deletePolicyTable('vzc-br0');
  await deleteBridge('vzc-br0');
});

describe('vzagentd reports the real machine', () => {
  it('hello names the agent, LXC version, cgroup layout, CRIU state and storage backends', async () => {
    const h = await client.hello();
    const lxc = (await run('lxc-start', ['--version'])).stdout.trim();
    expect(h.protocolVersion).toBe(1);
    expect(h.hostname).toBe(os.hostname());
    expect(h.capabilities.lxcVersion).toBe(lxc);
    expect(h.capabilities.cgroup).toBe(existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1');
    // the CRIU ./vz install provides where the packaged one fails (agents/src/criu/bin.ts)
    const criuOk = await run(criuPath() ?? 'criu', ['check']).then(() => true, () => false);
    expect(h.capabilities.criu.usable).toBe(criuOk);
    if (criuOk) expect(h.capabilities.criu).toMatchObject({ dump: true, restore: true, version: expect.stringMatching(/^\d+\./) });
    if (!criuOk) expect(h.capabilities.criu.reason).toMatch(/\S/);
    expect(h.capabilities.storage).toEqual(['ext4-image', 'dir']);
    expect(h.capabilities.features).toContain('op-journal');
    expect(h.capabilities.methods).toContain('node.info');
  });

  it('node.info matches /proc, statfs of vzroot and the VE configs on disk', async () => {
    const info = await client.call('node.info', {});
    const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
    expect(info.memory.totalBytes).toBe(memTotal);
    expect(info.memory.availableBytes).toBeGreaterThan(0);
    expect(info.memory.availableBytes).toBeLessThanOrEqual(memTotal);
    expect(info.cpus).toBe(os.cpus().length);
    const fs = statfsSync(vzroot);
    expect(info.disk).toMatchObject({ path: vzroot, totalBytes: fs.blocks * fs.bsize });
    expect(info.uptimeSeconds).toBeGreaterThan(0);
    expect(info.load).toHaveLength(3);
    expect(info.ves).toEqual({ total: 0, running: 0 });
    mkdirSync(file('conf'), { recursive: true });
    writeFileSync(file('conf/101.conf'), 'HOSTNAME="a"\n');
    expect((await client.call('node.info', {})).ves.total).toBe(1);
  });
});

describe('agent pool', () => {
  it('keeps one client per node and replaces it when the node spec changes', async () => {
    const spec = { transport: 'local' as const, socket };
    const a = getAgent('vzc-node-1', spec);
    expect(getAgent('vzc-node-1', spec)).toBe(a);
    expect((await a.hello()).agentVersion).toBeTruthy();
    const b = getAgent('vzc-node-1', { transport: 'local', socket: `${socket}.moved` });
    expect(b).not.toBe(a);
    const e = await appErr(b.call('node.info', {}, { timeoutMs: 5000 }));
    expect(e.code).toBe('NODE_OFFLINE');
    await closeAll();
  });
});

describe('operations are journaled by opId', () => {
  it('the same opId sent twice acts once and returns the recorded result', async () => {
    const f = file('once.txt');
    const id = opId();
    const first = await client.call('test.append', { ctid: 201, file: f, line: 'hello' }, { opId: id });
    const again = await client.call('test.append', { ctid: 201, file: f, line: 'hello' }, { opId: id });
    expect(first).toEqual({ lines: 1 });
    expect(again).toEqual(first);
    expect(linesOf(f)).toEqual(['hello']);
    expect(JSON.parse(readFileSync(file(`journal/${id}.json`), 'utf8'))).toMatchObject({ status: 'done', result: { lines: 1 } });
  });

  it('a repeat while the first attempt still runs joins it, with progress for both callers', async () => {
    const f = file('join.txt');
    const id = opId();
    const seen: Notification[] = [];
    const first = onFirstNotification();
    const a = client.call('test.append', { ctid: 202, file: f, line: 'x', delayMs: 400 }, { opId: id, onNotification: (n) => (seen.push(n), first.cb(n)) });
    await first.seen;
    const b = client.call('test.append', { ctid: 202, file: f, line: 'x', delayMs: 400 }, { opId: id });
    expect(await Promise.all([a, b])).toEqual([{ lines: 1 }, { lines: 1 }]);
    expect(linesOf(f)).toEqual(['x']);
    expect(seen.some((n) => n.method === 'progress' && n.params.opId === id)).toBe(true);
  });

  it('a second mutating call on a busy VE is refused with VE_LOCKED naming the running op', async () => {
    const id = opId();
    const first = onFirstNotification();
    const slow = client.call('test.sleep', { ctid: 203, ms: 600 }, { opId: id, onNotification: first.cb });
    await first.seen;
    const e = await appErr(client.call('test.append', { ctid: 203, file: file('busy.txt'), line: 'y' }, { opId: opId() }));
    expect(e.code).toBe('BUSY');
    expect(e.message).toBe(`VE 203 is busy with 'test.sleep' (op ${id})`);
    expect(e.data?.agentCode).toBe('VE_LOCKED');
    expect(linesOf(file('busy.txt'))).toEqual([]);
    await slow;
    // another VE is not blocked by it
    await client.call('test.append', { ctid: 204, file: file('free.txt'), line: 'z' }, { opId: opId() });
  });

  it('removing a kept migration copy does not wait for the VE: it runs while the VE is busy', async () => {
    // A VE that came back to this node while its old copy's removal came due (the migration's commit then met VE_LOCKED).
    const kept = path.join(vzroot, 'private', '205.migrated-20261207T000000Z');
    mkdirSync(kept, { recursive: true });
    writeFileSync(path.join(kept, 'root.img'), 'x');
    const first = onFirstNotification();
    const slow = client.call('test.sleep', { ctid: 205, ms: 600 }, { opId: opId(), onNotification: first.cb });
    await first.seen;
    expect(await client.call('migrate.purge', { ctid: 205, name: '205.migrated-20261207T000000Z' }, { opId: opId() })).toMatchObject({ removed: true });
    expect(existsSync(kept)).toBe(false);
    await slow;
  });
});

describe('dropped connection', () => {
  it('the bridge dies mid-operation: the client re-sends the opId, joins the running op and it acts once', async () => {
    const f = file('drop.txt');
    const id = opId();
    const first = onFirstNotification();
    const call = client.call('test.append', { ctid: 205, file: f, line: 'once', delayMs: 600 }, { opId: id, onNotification: first.cb });
    await first.seen;
    const bridges = (await run('pgrep', ['-P', String(process.pid), '-f', 'vzagent.js rpc'])).stdout.trim().split('\n');
    expect(bridges.length).toBeGreaterThan(0);
    for (const pid of bridges) process.kill(Number(pid), 'SIGKILL');
    expect(await call).toEqual({ lines: 1 });
    expect(linesOf(f)).toEqual(['once']);
  });
});

describe('timeouts', () => {
  it('a call the agent does not answer in time fails NODE_OFFLINE; the op itself still completes', async () => {
    const f = file('slow.txt');
    const id = opId();
    const e = await appErr(client.call('test.append', { ctid: 207, file: f, line: 's', delayMs: 500 }, { opId: id, timeoutMs: 100 }));
    expect(e.code).toBe('NODE_OFFLINE');
    expect(e.data).toMatchObject({ reason: 'timeout', opId: id });
    // the task runner retries with the same opId and gets the one result
    expect(await client.call('test.append', { ctid: 207, file: f, line: 's', delayMs: 500 }, { opId: id })).toEqual({ lines: 1 });
    expect(linesOf(f)).toEqual(['s']);
  });
});

describe('bad input', () => {
  it('the agent answers BAD_PARAMS naming the field, through vzagent rpc', async () => {
    const out = await rawRpc(JSON.stringify({ id: 7, method: 'test.append', params: { ctid: 'abc', file: '/tmp/x', line: 'l' } }));
    const resp = out.find((m) => m.id === 7) as { error: { code: string; message: string; data: { field: string } } };
    expect(resp.error.code).toBe('BAD_PARAMS');
    expect(resp.error.data.field).toBe('ctid');
    expect(resp.error.message).toContain('ctid');
  });

  it('secret-looking params never reach the daemon log or the journal', async () => {
    const id = opId();
    await rawRpc(JSON.stringify({ id: 9, opId: id, method: 'test.append', params: { ctid: 206, file: file('s.txt'), line: 'l', rootPassword: 'hunter2-zz' } }));
    const log = readFileSync(started.at(-1)!.logFile, 'utf8');
    expect(log).toContain(id);
    expect(log).not.toContain('hunter2-zz');
    expect(readFileSync(file(`journal/${id}.json`), 'utf8')).not.toContain('hunter2-zz');
  });

  it('unknown methods are NOT_FOUND and the client refuses bad params before sending', async () => {
    const out = await rawRpc('{"id":1,"method":"ve.frobnicate","params":{}}');
    expect(out[0]).toMatchObject({ id: 1, error: { code: 'NOT_FOUND' } });
    const e = await appErr(client.call('test.append', { ctid: -1, file: 'rel', line: 'l' } as never));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.data?.field).toBe('ctid');
  });
});

describe('agent crash mid-operation', () => {
  it('kill -9 during an op: after restart a repeat of its opId reports the interrupted outcome', async () => {
    const d = started.at(-1)!;
    const f = file('crash.txt');
    const appendId = opId();
    const sleepId = opId();
    let waiting!: () => void;
    const reachedRun = new Promise<void>((r) => (waiting = r));
    const pendingAppend = appErr(client.call('test.append', { ctid: 301, file: f, line: 'late', delayMs: 30_000 }, {
      opId: appendId, onNotification: (n) => n.method === 'progress' && waiting(),
    }));
    const sleeping = onFirstNotification();
    const pendingSleep = appErr(client.call('test.sleep', { ctid: 302, ms: 30_000 }, { opId: sleepId, onNotification: sleeping.cb }));
    await reachedRun;
    await sleeping.seen;
    await new Promise((r) => setTimeout(r, 100)); // let the throttled progress write reach the journal
    process.kill(d.pid!, 'SIGKILL');
    const lost = await pendingAppend;
    expect(lost.code).toBe('NODE_OFFLINE');
    expect((await pendingSleep).code).toBe('NODE_OFFLINE');

    await startDaemon(); // stale socket is replaced, journal entries become 'interrupted'
    expect(JSON.parse(readFileSync(file(`journal/${appendId}.json`), 'utf8'))).toMatchObject({ status: 'interrupted', lastProgress: '10% waiting' });

    // the handler's recover() looks at real state: the line was never written
    const e1 = await appErr(client.call('test.append', { ctid: 301, file: f, line: 'late', delayMs: 30_000 }, { opId: appendId }));
    expect(e1.data?.agentCode).toBe('OP_INTERRUPTED');
    expect(e1.message).toMatch(/interrupted by an agent restart.*never appended/);
    expect(linesOf(f)).toEqual([]);
    // no recover(): the outcome is reported as unknown, and stays recorded
    const e2 = await appErr(client.call('test.sleep', { ctid: 302, ms: 30_000 }, { opId: sleepId }));
    expect(e2.message).toMatch(/interrupted by an agent restart .*outcome is unknown/);
    const e3 = await appErr(client.call('test.sleep', { ctid: 302, ms: 30_000 }, { opId: sleepId }));
    expect(e3.message).toBe(e2.message);
    expect(await client.call('op.status', { opId: sleepId })).toMatchObject({ status: 'failed', error: { code: 'OP_INTERRUPTED' } });
  });

  it('SIGTERM lets a running operation finish and answer before the daemon exits', async () => {
    const d = started.at(-1)!;
    const f = file('graceful.txt');
    const first = onFirstNotification();
    const call = client.call('test.append', { ctid: 401, file: f, line: 'done', delayMs: 500 }, { opId: opId(), onNotification: first.cb });
    await first.seen;
    const stopping = d.stop('SIGTERM');
    expect(await call).toEqual({ lines: 1 });
    await stopping;
    expect(existsSync(socket)).toBe(false);
    await startDaemon();
    expect((await client.call('hello', {})).agentVersion).toBeTruthy();
  });
});
