// The panel started as `./vz up` starts it (node --import tsx server/main.ts, embedded Postgres, local
// vzagentd, LXC), killed with kill -9 while ten billing creates run, then started again the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPrisma, type PrismaClient } from '@/server/db/client';
import { freePort } from '@/server/db/embedded';
import { pidAlive, postgresProcessesOf, readPostmasterLock } from '@/server/db/postmaster';
import { API_SCOPES, createApiKey } from '@/server/services/auth/apiKeys';
import { cleanupVzroot } from '@/agents/src/lxc/test-env';

const sh = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const TERMINAL = ['succeeded', 'failed', 'cancelled'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dataDir = mkdtempSync('/tmp/crash-data-');
const vzroot = mkdtempSync('/tmp/crash-vz-');
// The agent makes its vzroot 0755; mkdtemp's 0700 would shut the unprivileged panel out of the socket below it.
chmodSync(vzroot, 0o755);
const bridge = `crash${randomBytes(2).toString('hex')}`;
const panels = new Set<ChildProcess>();
let port = 0;
let prisma: PrismaClient | undefined;

/** Starts the panel exactly as `./vz up` runs it; resolves with the process once it printed its URL. */
async function startPanel(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, VITEST: undefined, NODE_ENV: 'production', LOG_LEVEL: 'info', NEXT_TELEMETRY_DISABLED: '1',
      VZPANEL_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', VZ_ROOT: vzroot, VZ_BRIDGE: bridge,
      VZ_BRIDGE_ADDR: '10.199.71.1/24', VZ_VE_NETWORKS: '10.199.0.0/16', VZPANEL_NO_NEXT: '1', VZPANEL_WORKERS: '4',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  panels.add(child);
  child.once('exit', () => panels.delete(child));
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const until = Date.now() + 120_000;
  while (!out.includes('Panel: http://')) {
    if (child.exitCode !== null) throw new Error(`panel exited during start (${child.exitCode}):\n${out.slice(-3000)}`);
    if (Date.now() > until) throw new Error(`panel did not start:\n${out.slice(-3000)}`);
    await sleep(100);
  }
  return { child, output: () => out };
}

/** Real, effective, saved and filesystem uid of a process, from /proc/<pid>/status. */
const uidsOf = (pid: number): number[] => (/^Uid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '').trim().split(/\s+/).map(Number);

/** The panel's own database, as the running panel sees it (port and password from its data dir). */
function panelDb(): PrismaClient {
  const lock = readPostmasterLock(path.join(dataDir, 'pgdata'))!;
  const pw = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
  return createPrisma(`postgresql://vzpanel:${encodeURIComponent(pw)}@127.0.0.1:${lock.port}/vzpanel`, { max: 3 });
}

/** Pids of the vzagentd serving our vzroot (the panel starts it detached: it outlives the panel). */
const agentPids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(`--vzroot ${vzroot} `);
  } catch {
    return false;
  }
});

/** Containers on the node: ctid -> lxc state. */
async function nodeContainers(): Promise<Map<number, string>> {
  const lxcpath = path.join(vzroot, 'lxc');
  const { stdout } = await sh('lxc-ls', ['-P', lxcpath, '-f', '-F', 'NAME,STATE']);
  return new Map(stdout.trim().split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/)).map(([n, s]) => [Number(n), s]));
}

beforeAll(async () => {
  port = await freePort();
});

afterAll(async () => {
  await prisma?.$disconnect().catch(() => undefined);
  for (const c of panels) c.kill('SIGKILL');
  await sleep(500);
  const pg = path.join(dataDir, 'pgdata');
  for (const pid of postgresProcessesOf(pg)) process.kill(pid, 'SIGQUIT');
  for (const pid of agentPids()) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && (postgresProcessesOf(pg).length || agentPids().length); i++) await sleep(100);
  await cleanupVzroot(vzroot, bridge);
  await rm(dataDir, { recursive: true, force: true });
}, 120_000);

describe('./vz up after kill -9 with ten creates in flight', () => {
  it('answers again within 60 s, ends every task within 150 s, and the panel and the node agree', { timeout: 600_000 }, async () => {
    let panel = await startPanel();
    // Privilege separation: the serving process is the vzpanel user, its Postgres too; the agent stays root.
    const panelUid = uidsOf(panel.child.pid!);
    expect(panelUid).toHaveLength(4);
    for (const uid of panelUid) expect(uid).not.toBe(0);
    expect(uidsOf(readPostmasterLock(path.join(dataDir, 'pgdata'))!.pid)[0]).toBe(panelUid[0]);
    expect(uidsOf(agentPids()[0])[0]).toBe(0);
    const sock = statSync(path.join(vzroot, 'run', 'vzagentd.sock'));
    expect(sock.mode & 0o777).toBe(0o660);
    expect(sock.gid).toBe(statSync(dataDir).gid);
    prisma = panelDb();
    await prisma.setting.upsert({ where: { key: 've.nextCtid' }, update: { value: 7100 }, create: { key: 've.nextCtid', value: 7100 } });
    const plan = await prisma.plan.create({ data: { name: 'crash-tiny', ram: 64, swap: 0, diskspace: 64, diskinodes: 8192, numproc: 64 } });
    const key = (await createApiKey(prisma, { name: 'crash-billing', scopes: [...API_SCOPES] })).token;
    const api = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1${p}`, {
        method, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    expect((await api('PUT', '/customers/crash-c1', { email: 'crash-c1@example.test' })).status).toBe(200);

    const taskIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await api('POST', '/ves', { customerExternalId: 'crash-c1', externalId: `crash-svc-${i}`, plan: plan.id, template: 'busybox', hostname: `crash${i}.example.test`, password: 'root password 1', node: 'local' });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      taskIds.push(r.json.taskId);
    }
    // Kill while work is under way: some creates running on the node, most not finished. A create takes
    // ~0.3 s, so the snapshot the test asserts on is the one read right before the kill.
    const oldPg = readPostmasterLock(path.join(dataDir, 'pgdata'))!.pid;
    const db = prisma;
    const snapshot = async () => (await db.task.groupBy({ by: ['status'], where: { id: { in: taskIds } }, _count: true }))
      .map((b) => ({ status: b.status as string, count: b._count }));
    let before = await snapshot();
    for (let i = 0; i < 3000 && !before.some((b) => b.status === 'running'); i++) {
      await sleep(20);
      before = await snapshot();
    }
    panel.child.kill('SIGKILL');
    await prisma.$disconnect();
    prisma = undefined;
    await new Promise((r) => panel.child.once('exit', r));
    expect(before.find((b) => b.status === 'running')?.count ?? 0).toBeGreaterThan(0);

    // The postmaster dies with the panel (parent-death signal), and the agent, detached, lives on.
    for (let i = 0; i < 100 && pidAlive(oldPg); i++) await sleep(100);
    expect(pidAlive(oldPg)).toBe(false);
    expect(agentPids().length).toBe(1);

    const t0 = Date.now();
    panel = await startPanel();
    const startedIn = Date.now() - t0;
    expect(startedIn).toBeLessThan(60_000);
    expect(panel.output()).not.toContain('failed to start');
    expect((await api('GET', '/ves?customerExternalId=crash-c1')).status).toBe(200);
    prisma = panelDb();

    let tasks = await prisma.task.findMany({ where: { id: { in: taskIds } } });
    while (tasks.some((t) => !TERMINAL.includes(t.status)) && Date.now() - t0 < 150_000) {
      await sleep(500);
      tasks = await prisma.task.findMany({ where: { id: { in: taskIds } } });
    }
    const doneIn = Date.now() - t0;
    const summary = tasks.map((t) => `${t.ctid}:${t.status}${t.error ? ` (${t.error})` : ''}`).join('\n');
    expect(tasks.filter((t) => !TERMINAL.includes(t.status)), summary).toEqual([]);
    console.log(`restart: answering after ${startedIn} ms, all ten creates ended ${doneIn} ms after the restart\n${summary}`);

    // The panel and the node agree: every VE the panel calls running runs, and nothing else is there.
    const ves = await prisma.ve.findMany({ where: { ctid: { in: tasks.map((t) => t.ctid!).filter(Boolean) } } });
    const onNode = await nodeContainers();
    for (const ve of ves) {
      if (ve.state === 'running') expect(onNode.get(ve.ctid), `VE ${ve.ctid}`).toBe('RUNNING');
      if (ve.state === 'error') expect(onNode.has(ve.ctid), `failed VE ${ve.ctid} left a container`).toBe(false);
    }
    for (const ctid of onNode.keys()) expect(ves.map((v) => v.ctid), `container ${ctid} unknown to the panel`).toContain(ctid);
    // A create killed mid-run is run again (the agent journal makes it act once): all ten end up running.
    expect(ves.filter((v) => v.state === 'running').length, summary).toBe(10);
  });
});
