// Issue 15 (control plane): N closed-loop clients for T seconds against billing reads
// (GET /api/v1/ves and GET /api/v1/catalog, alternating), with a valid key and with no key, in ONE
// run against one panel HTTP process: refused-only, authenticated-only, then both at once (half the
// clients each). Prints req/s, p50/p99 and errors per class and the authenticated/refused ratio.
// Run: npx tsx bench/api-load.ts [--clients 100] [--seconds 20] [--rounds 1] [--ves 3] [--pool 10] [--profile DIR]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { run } from '@/agents/src/sys/exec';
import { API_SCOPES, createApiKey } from '@/server/services/auth/apiKeys';
import { createPlan } from '@/server/services/plans';
import { seedNode, seedTemplate, seedUser } from '@/test/fixtures/panel';
import { benchDatabase } from './lib/db';
import { apiRequest } from './lib/http-load';
import { now, parseArgs, percentile, round, table } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const CLIENTS = Number(args.clients ?? 100);
const SECONDS = Number(args.seconds ?? 20);
const VES = Number(args.ves ?? 3);
const POOL = Number(args.pool ?? 10);
const ROUNDS = Number(args.rounds ?? 1);
const log = (s: string) => process.stderr.write(`${s}\n`);

const stopAll: (() => Promise<unknown>)[] = [];
const pgDir = mkdtempSync(path.join(os.tmpdir(), 'bench-api-pg-'));
const cleanup = async () => {
  for (const f of stopAll.splice(0)) await f().catch((e) => log(`cleanup: ${(e as Error).message}`));
  await run('rm', ['-rf', pgDir], { allowFail: true });
};
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(130)));

type Kind = 'authed' | 'refused';
interface ClassResult { kind: Kind; clients: number; requests: number; errors: number; latencies: number[]; seconds: number }

function startServer(url: string): Promise<{ port: number; pid: number }> {
  // --profile DIR: the panel process writes a V8 CPU profile there (where an authenticated read's time goes).
  const prof = typeof args.profile === 'string' ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', path.join(import.meta.dirname, 'lib/http-server-child.ts')], {
    env: { ...process.env, DATABASE_URL: url, PANEL_POOL_MAX: String(POOL), LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  stopAll.unshift(() => new Promise<void>((r) => { if (child.exitCode !== null) return r(); child.once('exit', () => r()); child.kill('SIGTERM'); setTimeout(() => child.kill('SIGKILL'), 5000).unref(); }));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), pid: child.pid! });
    });
    child.once('exit', (code) => reject(new Error(`panel process exited (${code})`)));
  });
}

async function phase(port: number, key: string, plan: { kind: Kind; clients: number }[], seconds = SECONDS): Promise<ClassResult[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: plan.reduce((n, p) => n + p.clients, 0) });
  const end = now() + seconds * 1000;
  const results = plan.map((p) => ({ kind: p.kind, clients: p.clients, requests: 0, errors: 0, latencies: [] as number[], seconds }));
  const loops = plan.flatMap((p, i) => Array.from({ length: p.clients }, async (_, c) => {
    const r = results[i];
    for (let n = c; now() < end; n++) {
      const t0 = now();
      const { status } = await apiRequest(agent, port, 'GET', n % 2 ? '/catalog' : '/ves', { key: p.kind === 'authed' ? key : undefined });
      r.latencies.push(now() - t0);
      r.requests++;
      if (status !== (p.kind === 'authed' ? 200 : 401)) r.errors++;
    }
  }));
  await Promise.all(loops);
  agent.destroy();
  return results;
}

const row = (label: string, r: ClassResult) => [label, r.kind, r.clients, r.requests, round(r.requests / r.seconds, 1), round(percentile(r.latencies, 50), 1), round(percentile(r.latencies, 99), 1), r.errors];

try {
  const uptime = (await run('uptime', [])).stdout.trim();
  const { url, prisma } = await benchDatabase(pgDir, stopAll);
  const node = await seedNode(prisma);
  const template = await seedTemplate(prisma);
  const plan = await createPlan(prisma, { name: 'bench-small', ram: 256, diskspace: 2048 });
  const owner = await seedUser(prisma);
  for (let i = 0; i < VES; i++) {
    await prisma.ve.create({ data: { ctid: 50_000 + i, hostname: `ve${i}.bench.test`, nodeId: node.id, templateId: template.id, planId: plan.id, ownerId: owner.id, state: 'running', externalId: `svc-${i}` } });
  }
  const key = (await createApiKey(prisma, { name: 'bench', scopes: [...API_SCOPES] })).token;
  const { port, pid } = await startServer(url);
  log(`panel pid ${pid} on 127.0.0.1:${port}, pool ${POOL}; ${CLIENTS} clients x ${SECONDS} s per phase; ${VES} VEs; ${uptime}`);
  // Warm-up: JIT, pool connections, prepared plans.
  await phase(port, key, [{ kind: 'authed', clients: 10 }, { kind: 'refused', clients: 10 }], 3);
  const summary = (r: ClassResult) => ({ kind: r.kind, clients: r.clients, requests: r.requests, reqPerSec: r.requests / r.seconds, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), errors: r.errors });
  const rounds = [];
  // Phases alternate within each round, so a change in the machine's load hits both classes alike.
  for (let i = 1; i <= ROUNDS; i++) {
    const refused = (await phase(port, key, [{ kind: 'refused', clients: CLIENTS }]))[0];
    const authed = (await phase(port, key, [{ kind: 'authed', clients: CLIENTS }]))[0];
    const mixed = await phase(port, key, [{ kind: 'authed', clients: Math.ceil(CLIENTS / 2) }, { kind: 'refused', clients: Math.floor(CLIENTS / 2) }]);
    console.log(`\nround ${i} of ${ROUNDS} (${(await run('uptime', [])).stdout.trim()})`);
    console.log(table(['phase', 'class', 'clients', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors'], [
      row('refused only', refused), row('authed only', authed), row('mixed', mixed[0]), row('mixed', mixed[1]),
    ]));
    const ratio = authed.requests / refused.requests;
    const mixedRatio = mixed[0].requests / mixed[1].requests;
    console.log(`authenticated/refused req/s: ${round(ratio, 3)} (separate phases), ${round(mixedRatio, 3)} (mixed phase); goal >= 0.5`);
    rounds.push({ refused: summary(refused), authed: summary(authed), mixed: mixed.map(summary), ratio, mixedRatio });
  }
  const outDir = path.join(import.meta.dirname, 'results');
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `api-load-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
  await writeFile(file, JSON.stringify({ command: `npx tsx bench/api-load.ts ${process.argv.slice(2).join(' ')}`.trim(), uptime, clients: CLIENTS, seconds: SECONDS, ves: VES, pool: POOL, rounds }, null, 2));
  log(`raw figures: ${file}`);
} finally {
  await cleanup();
}
