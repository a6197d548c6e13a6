// Several panel processes on one Postgres, started as an operator would (server/main.ts with
// VZPANEL_ROLE=web|worker): a worker killed with kill -9 mid-task loses nothing (the other worker
// finishes it), a task started through one web process streams its progress through another, and
// the singletons (node monitor…) run in exactly one process and move when it dies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, uniq } from '@/test/fixtures/panel';
import { startFakeAgent, type FakeAgent } from '@/test/fixtures/fake-agent';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { SESSION_COOKIE } from '@/server/services/auth/sessions';
import { API_SCOPES, createApiKey } from '@/server/services/auth/apiKeys';

const ROOT = path.resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEADER_NS = 0x767a_0003;

interface Proc { child: ChildProcess; out: () => string; base?: string }

let db: TestDatabase;
let agent: FakeAgent;
let probe: pg.Client;
const vzroot = mkdtempSync('/tmp/sp-mp-vz-');
const dataDir = mkdtempSync('/tmp/sp-mp-data-');
const procs = new Set<ChildProcess>();
let key = '';
let ves: { a: string; b: string };
let webA: Proc;

/** server/main.ts in the given role; resolves once it printed its ready line. */
async function startPanel(role: 'web' | 'worker'): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, VITEST: undefined, NODE_ENV: 'production', LOG_LEVEL: 'info', DATABASE_URL: db.url,
      VZPANEL_ROLE: role, VZPANEL_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', VZPANEL_NO_NEXT: '1',
      // The fake agent's socket lives in a root-owned temp dir; privilege dropping is tested elsewhere.
      VZPANEL_USER: 'root', VZPANEL_LOCAL_NODE: '0', VZPANEL_SWEEP_MS: '1000', VZPANEL_WORKERS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.add(child);
  child.once('exit', () => procs.delete(child));
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const ready = role === 'web' ? /Panel: (http:\/\/\S+)/ : /Worker: ready/;
  for (const until = Date.now() + 120_000; !ready.test(out);) {
    if (child.exitCode !== null) throw new Error(`${role} exited during start (${child.exitCode}):\n${out.slice(-3000)}`);
    if (Date.now() > until) throw new Error(`${role} did not start:\n${out.slice(-3000)}`);
    await sleep(100);
  }
  const base = ready.exec(out)?.[1]?.replace('localhost', '127.0.0.1');
  return { child, out: () => out, base };
}

async function stopAll(sig: NodeJS.Signals) {
  await Promise.all([...procs].map((c) => new Promise<void>((r) => {
    if (c.exitCode !== null || c.signalCode !== null) return r();
    c.once('exit', () => r());
    c.kill(sig);
  })));
}

async function taskRow(id: string) {
  return db.prisma.task.findUniqueOrThrow({ where: { id } });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 180_000): Promise<T> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(200)) {
    const v = await fn();
    if (v) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function power(base: string, veId: string, action: 'start' | 'stop'): Promise<string> {
  const res = await fetch(`${base}/api/v1/ves/${veId}/power`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ action }) });
  const body = (await res.json()) as { taskId: string };
  expect(res.status, JSON.stringify(body)).toBeLessThan(300);
  return body.taskId;
}

/** Holders of the singletons' leader lock (backend pids). */
async function leaders(): Promise<number[]> {
  const r = await probe.query<{ pid: number }>(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::bigint::oid AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, [LEADER_NS]);
  return r.rows.map((x) => x.pid);
}

beforeAll(async () => {
  db = await createTestDatabase();
  probe = new pg.Client({ connectionString: db.url });
  await probe.connect();
  agent = await startFakeAgent({ vzroot, powerMs: 2000, holdAt: 50, ves: [{ ctid: 77001, hostname: 'a.test', status: 'running' }, { ctid: 77002, hostname: 'b.test', status: 'stopped' }] });
  const node = await seedNode(db.prisma, { name: uniq('sp-fake') });
  await db.prisma.node.update({ where: { id: node.id }, data: { transport: 'local', vzroot } });
  const template = await seedTemplate(db.prisma);
  const mk = (ctid: number, hostname: string, state: 'running' | 'stopped') => db.prisma.ve.create({ data: { ctid, hostname, nodeId: node.id, templateId: template.id, state } });
  ves = { a: (await mk(77001, 'a.test', 'running')).id, b: (await mk(77002, 'b.test', 'stopped')).id };
  key = (await createApiKey(db.prisma, { name: 'sp-billing', scopes: [...API_SCOPES] })).token;
}, 60_000);

afterAll(async () => {
  await stopAll('SIGKILL');
  await agent?.close();
  await probe?.end();
  await db?.drop();
  rmSync(vzroot, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('several panel processes on one Postgres', () => {
  it('a worker killed with kill -9 mid-task loses nothing: the other worker finishes it, and the singletons move', async () => {
    const w1 = await startPanel('worker');
    webA = await startPanel('web');
    // The first worker leads: it polls the node (hello + node.info through the real local transport).
    await waitFor('the node monitor to poll the fake node', async () => (agent.calls.get('node.info') ?? 0) > 0);
    expect(await leaders()).toHaveLength(1);

    const taskId = await power(webA.base!, ves.a, 'stop');
    // The node holds the stop half-way, so worker 1 is surely mid-task when it dies.
    await waitFor('the stop to run on worker 1', async () => { const t = await taskRow(taskId); return agent.held() === 1 && t.status === 'running' && t.progress >= 10; });
    const w2 = await startPanel('worker');
    expect((await taskRow(taskId)).status).toBe('running');
    w1.child.kill('SIGKILL');
    // Worker 2 frees the dead worker's job and runs it again: the same call, the same op id.
    await waitFor('worker 2 to send the stop again', async () => agent.calls.get('ve.stop') === 2);
    agent.release();
    const t = await waitFor('the second worker to finish the task', async () => { const r = await taskRow(taskId); return r.status !== 'running' && r.status !== 'queued' && r; });
    const logs = await db.prisma.taskLog.findMany({ where: { taskId }, orderBy: { id: 'asc' } });
    expect(t.status, `${t.error}\n${logs.map((l) => l.line).join('\n')}\n${w2.out().slice(-2000)}`).toBe('succeeded');
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: ves.a } })).state).toBe('stopped');
    expect(agent.ves.get(77001)?.status).toBe('stopped');
    // Sent twice (once per worker) with one op id: the node joined the re-run to the first run.
    expect(agent.calls.get('ve.stop')).toBe(2);

    // The dead leader's lock went with its connection: worker 2 took the singletons over.
    await waitFor('worker 2 to lead', async () => (await leaders()).length === 1);
    const before = agent.calls.get('node.info') ?? 0;
    await waitFor('the node monitor to poll again from worker 2', async () => (agent.calls.get('node.info') ?? 0) > before + 1);
  }, 600_000);

  it('a task started through web process A streams its progress live through web process B', async () => {
    const webB = await startPanel('web');
    const email = `${uniq('sp-root')}@example.test`;
    await createUser(db.prisma, { email, password: 'correct horse battery', role: 'admin' });
    const ctx = await createInnerContext(db.prisma, {});
    await createCaller(ctx).auth.login({ email, password: 'correct horse battery' });
    const cookie = ctx.cookies.find((x) => x.startsWith(`${SESSION_COOKIE}=`))!.split(';')[0];

    agent.hold();
    const taskId = await power(webA.base!, ves.b, 'start');
    const res = await fetch(`${webB.base}/api/trpc/tasks.watch?input=${encodeURIComponent(JSON.stringify({ id: taskId }))}`, { headers: { cookie, accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    const seen: Array<{ status: string; progress: number }> = [];
    let midway: { status: string; progress: number } | undefined;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (const until = Date.now() + 60_000; Date.now() < until && seen.at(-1)?.status !== 'succeeded';) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      for (let i; (i = buf.indexOf('\n\n')) >= 0;) {
        const data = buf.slice(0, i).split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
        buf = buf.slice(i + 2);
        const parsed = data ? (JSON.parse(data) as { task?: { status: string; progress: number } }) : undefined;
        if (parsed?.task) seen.push({ status: parsed.task.status, progress: parsed.task.progress });
      }
      // Progress seen through B while the node still holds the task: the stream is live, not a replay.
      const last = seen.at(-1);
      if (!midway && last?.status === 'running' && last.progress > 0 && agent.held() === 1) {
        midway = last;
        agent.release();
      }
    }
    await reader.cancel().catch(() => undefined);
    expect(seen.at(-1)).toMatchObject({ status: 'succeeded', progress: 100 });
    expect(midway?.progress).toBeGreaterThan(0);
    expect(midway?.progress).toBeLessThanOrEqual(50);
    expect(agent.ves.get(77002)?.status).toBe('running');
  }, 600_000);
});
