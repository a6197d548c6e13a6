// Issue 15 (control plane): N concurrent billing clients for T seconds against the whole panel
// (server/main.ts, web and worker in one process, as `./vz up` runs it, API only) with a node behind
// a fake agent (test/fixtures/fake-agent.ts: the real protocol, no containers). Most clients read
// (VE list pages of 50, the catalog, the status of 10 VEs, one VE); --writers of them act like a billing
// module's provisioning queue: start or stop one of their own VEs, poll the task until it ends, next.
// Afterwards every task must end (none left queued or running after --drain seconds) and every
// VE's state must equal its node's. Prints req/s, p50/p99 and errors per call.
// Run: npx tsx bench/api-mix.ts [--clients 1000] [--seconds 60] [--writers 50] [--ves 500] [--workers 4] [--power-ms 200] [--drain 300] [--profile DIR]
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { run } from '@/agents/src/sys/exec';
import { API_SCOPES, createApiKey } from '@/server/services/auth/apiKeys';
import { createPlan } from '@/server/services/plans';
import { seedNode, seedTemplate, seedUser } from '@/test/fixtures/panel';
import { startFakeAgent } from '@/test/fixtures/fake-agent';
import { benchDatabase } from './lib/db';
import { apiRequest } from './lib/http-load';
import { now, parseArgs, percentile, round, table } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const CLIENTS = Number(args.clients ?? 1000);
const SECONDS = Number(args.seconds ?? 60);
const WRITERS = Math.min(Number(args.writers ?? 50), CLIENTS);
const VES = Number(args.ves ?? 500);
const WORKERS = Number(args.workers ?? 4);
const POWER_MS = Number(args['power-ms'] ?? 200);
const DRAIN_S = Number(args.drain ?? 300);
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROOT = path.resolve(import.meta.dirname, '..');

const stopAll: (() => Promise<unknown>)[] = [];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-api-mix-'));
chmodSync(scratch, 0o711); // the embedded Postgres runs as user postgres and must reach scratch/pg
const cleanup = async () => {
  for (const f of stopAll.splice(0)) await f().catch((e) => log(`cleanup: ${(e as Error).message}`));
  await run('rm', ['-rf', scratch], { allowFail: true });
};
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(130)));

type Call = 'list' | 'catalog' | 'status' | 'get' | 'power' | 'task';
const stats = new Map<Call, { n: number; errors: number; lat: number[]; firstError?: string }>();
let recording = false;
function record(call: Call, ms: number, ok: boolean, what?: string) {
  if (!recording) return;
  let s = stats.get(call);
  if (!s) stats.set(call, (s = { n: 0, errors: 0, lat: [] }));
  s.n++;
  s.lat.push(ms);
  if (!ok) {
    s.errors++;
    s.firstError ??= what;
  }
}

/** server/main.ts (role all: web + worker), API only; resolves with its port once both are ready. */
async function startPanel(url: string, dataDir: string): Promise<{ port: number; pid: number; output: () => string }> {
  // --profile DIR: the panel process writes a V8 CPU profile there.
  const prof = typeof args.profile === 'string' ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', DATABASE_URL: url, VZPANEL_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1',
      VZPANEL_NO_NEXT: '1', VZPANEL_LOCAL_NODE: '0', VZPANEL_USER: 'root', VZPANEL_WORKERS: String(WORKERS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  stopAll.unshift(() => new Promise<void>((r) => { if (child.exitCode !== null) return r(); child.once('exit', () => r()); child.kill('SIGTERM'); setTimeout(() => child.kill('SIGKILL'), 10_000).unref(); }));
  // Role all starts its workers before the web tier, so the Panel line means both run.
  for (const until = Date.now() + 180_000; !/Panel: http:\/\/\S+:(\d+)/.test(out);) {
    if (child.exitCode !== null) throw new Error(`panel exited during start (${child.exitCode}):\n${out.slice(-3000)}`);
    if (Date.now() > until) throw new Error(`panel did not start:\n${out.slice(-3000)}`);
    await sleep(100);
  }
  return { port: Number(/Panel: http:\/\/\S+:(\d+)/.exec(out)![1]), pid: child.pid!, output: () => out };
}

try {
  const uptime = (await run('uptime', [])).stdout.trim();
  const { url, prisma } = await benchDatabase(path.join(scratch, 'pg'), stopAll);
  const vzroot = path.join(scratch, 'node');
  const inventory = Array.from({ length: VES }, (_, i) => ({ ctid: 60_000 + i, hostname: `ve${i}.mix.test`, status: (i % 2 ? 'stopped' : 'running') as 'running' | 'stopped' }));
  const agent = await startFakeAgent({ vzroot, ves: inventory, powerMs: POWER_MS });
  stopAll.push(() => agent.close());
  const node = await seedNode(prisma);
  await prisma.node.update({ where: { id: node.id }, data: { transport: 'local', vzroot, state: 'online' } });
  const template = await seedTemplate(prisma);
  const plan = await createPlan(prisma, { name: 'mix-small', ram: 256, diskspace: 2048 });
  const owner = await seedUser(prisma);
  await prisma.ve.createMany({ data: inventory.map((v, i) => ({ ctid: v.ctid, hostname: v.hostname, nodeId: node.id, templateId: template.id, planId: plan.id, ownerId: owner.id, state: v.status, externalId: `svc-${i}` })) });
  const ves = await prisma.ve.findMany({ select: { id: true, state: true }, orderBy: { ctid: 'asc' } });
  const key = (await createApiKey(prisma, { name: 'bench-mix', scopes: [...API_SCOPES] })).token;
  const { port, pid, output } = await startPanel(url, path.join(scratch, 'data'));
  log(`panel pid ${pid} on 127.0.0.1:${port} (${WORKERS} workers); ${CLIENTS} clients (${WRITERS} writers) x ${SECONDS} s; ${VES} VEs behind a fake agent (power ${POWER_MS} ms); ${uptime}`);

  const agentPool = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  let end = now() + 5000;
  const call = async (kind: Call, method: string, p: string, expect: number, opts: { json?: unknown; read?: boolean } = {}) => {
    const t0 = now();
    const r = await apiRequest(agentPool, port, method, p, { key, ...opts });
    record(kind, now() - t0, r.status === expect, `${method} ${p}: HTTP ${r.status}`);
    return r;
  };
  const reader = async (c: number) => {
    for (let n = c; now() < end; n++) {
      const ve = ves[(n * 7919) % ves.length];
      switch (n % 4) {
        case 0: await call('list', 'GET', `/ves?limit=50&offset=${50 * (n % Math.ceil(VES / 50))}`, 200); break;
        case 1: await call('catalog', 'GET', '/catalog', 200); break;
        case 2: await call('status', 'GET', `/ves/status?ids=${Array.from({ length: 10 }, (_, k) => ves[(n + k * 37) % ves.length].id).join(',')}`, 200); break;
        default: await call('get', 'GET', `/ves/${ve.id}`, 200);
      }
    }
  };
  // A writer owns every WRITERS-th VE, so no two clients act on one VE and each knows its VEs' states.
  let tasks = 0;
  const writer = async (w: number) => {
    const mine = ves.filter((_, i) => i % WRITERS === w);
    for (let n = 0; now() < end && mine.length; n++) {
      const ve = mine[n % mine.length];
      const action = ve.state === 'running' ? 'stop' : 'start';
      const r = await call('power', 'POST', `/ves/${ve.id}/power`, 200, { json: { action }, read: true });
      const taskId = (r.body as { taskId?: string } | undefined)?.taskId;
      if (!taskId) continue;
      tasks++;
      for (;;) {
        await sleep(250);
        const t = await call('task', 'GET', `/tasks/${taskId}`, 200, { read: true });
        const status = (t.body as { status?: string } | undefined)?.status;
        if (status === 'succeeded') ve.state = action === 'start' ? 'running' : 'stopped';
        if (t.status !== 200 || (status !== 'queued' && status !== 'running')) break;
      }
    }
  };
  // Warm-up, not recorded: the panel compiles its code paths and fills its pool on the first requests.
  await Promise.all(Array.from({ length: Math.min(20, CLIENTS) }, (_, c) => reader(c)));
  recording = true;
  end = now() + SECONDS * 1000;
  const t0 = now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => (c < WRITERS ? writer(c) : reader(c))));
  const wall = (now() - t0) / 1000;
  agentPool.destroy();
  const loadAfter = (await run('uptime', [])).stdout.trim();

  // No task stuck: every task the run made ends within the drain time.
  const drainStart = now();
  const unfinished = () => prisma.task.count({ where: { status: { in: ['queued', 'running'] } } });
  let open = await unfinished();
  while (open > 0 && now() - drainStart < DRAIN_S * 1000) {
    await sleep(500);
    open = await unfinished();
  }
  const drainS = (now() - drainStart) / 1000;
  const byStatus = Object.fromEntries((await prisma.task.groupBy({ by: ['status'], _count: { _all: true } })).map((g) => [g.status, g._count._all]));
  const rows = await prisma.ve.findMany({ select: { ctid: true, state: true } });
  const stateMismatch = rows.filter((r) => r.state !== agent.ves.get(r.ctid)?.status).length;

  const total = [...stats.values()].reduce((s, x) => s + x.n, 0);
  const errors = [...stats.values()].reduce((s, x) => s + x.errors, 0);
  const all = [...stats.values()].flatMap((x) => x.lat);
  console.log(`\n${CLIENTS} clients, ${SECONDS} s (wall ${round(wall, 1)} s): ${total} requests, ${round(total / wall, 1)} req/s, p50 ${round(percentile(all, 50), 1)} ms, p99 ${round(percentile(all, 99), 1)} ms, ${errors} errors`);
  console.log(table(['call', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'first error'], [...stats.entries()].map(([k, s]) => [
    k, s.n, round(s.n / wall, 1), round(percentile(s.lat, 50), 1), round(percentile(s.lat, 99), 1), s.errors, s.firstError ?? '',
  ])));
  console.log(`tasks made by the run: ${tasks}; after the run: ${JSON.stringify(byStatus)}; still queued or running after ${round(drainS, 1)} s: ${open}; VE states unlike the node's: ${stateMismatch}`);
  console.log(`load: before ${uptime}; after ${loadAfter}`);
  const outDir = path.join(import.meta.dirname, 'results');
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `api-mix-${CLIENTS}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
  await writeFile(file, JSON.stringify({
    command: `npx tsx bench/api-mix.ts ${process.argv.slice(2).join(' ')}`.trim(), uptime, loadAfter, clients: CLIENTS, writers: WRITERS, seconds: SECONDS, wall, ves: VES, workers: WORKERS, powerMs: POWER_MS,
    total, errors, p50: percentile(all, 50), p99: percentile(all, 99), calls: Object.fromEntries([...stats.entries()].map(([k, s]) => [k, { n: s.n, errors: s.errors, p50: percentile(s.lat, 50), p99: percentile(s.lat, 99), firstError: s.firstError }])),
    tasks, byStatus, stuck: open, drainS, stateMismatch,
  }, null, 2));
  log(`raw figures: ${file}`);
  const failed = (byStatus.failed ?? 0) + (byStatus.cancelled ?? 0);
  const pass = !errors && open === 0 && !failed && !stateMismatch;
  if (!pass) log(`panel output (last 3000 characters):\n${output().slice(-3000)}`);
  console.log(pass ? 'PASS: no errors, no task left unfinished or failed, every VE as its node says' : 'FAIL');
  if (!pass) process.exitCode = 1;
} finally {
  await cleanup();
}
