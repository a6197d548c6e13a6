// Moving a running VE between two real nodes on this machine (real LXC, vzagentd, sshd, Postgres).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { run, runMigrations, type Runner } from 'graphile-worker';
import type { Node } from '@/server/db/client';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedTemplate } from '@/test/fixtures/panel';
import { buildAgentAndTemplate, destroyMigNode, makeMigNode, runId, type MigTestNode } from '@/test/fixtures/migration-nodes';
import { taskRunner } from '@/server/operations/tasks/runner';
import { closeAll } from '@/server/nodes/pool';
import { loopsOf, mountPointSource } from '@/agents/src/storage/image';
import { migrationHooks, registerMigrateTasks, requestMigrateVe } from '.';
import { agentOf } from './plan';

const sh = promisify(execFile);
const MiB = 2 ** 20;
const R = runId();
let db: TestDatabase;
let worker: Runner;
let A: MigTestNode;
let B: MigTestNode;
let nodeA: Node;
let nodeB: Node;
let templateId: string;
let poolId: string;
let tplDir: string;
const ctids = new Set<number>();
let ipHost = 10 + randomInt(0, 100);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const newCtid = () => { for (;;) { const c = randomInt(30000, 40000); if (!ctids.has(c)) { ctids.add(c); return c; } } };
const lxcState = async (n: MigTestNode, ctid: number) => (await sh('lxc-info', ['-n', String(ctid), '-P', n.lxcpath, '-sH']).catch(() => ({ stdout: 'ABSENT' }))).stdout.trim();

async function waitTask(id: string, timeoutMs = 180_000) {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    const t = await db.prisma.task.findUniqueOrThrow({ where: { id } });
    if (['succeeded', 'failed', 'cancelled'].includes(t.status)) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${id} did not finish`);
}
const taskLog = async (id: string) => (await db.prisma.taskLog.findMany({ where: { taskId: id }, orderBy: { id: 'asc' } })).map((l) => l.line);

/** A running busybox VE on node A with `mb` MiB of random files (+ small ones); returns their checksums. */
async function runningVe(mb: number) {
  const ctid = newCtid();
  const ip = `10.199.6.${ipHost++}`;
  await agentOf(nodeA).call('ve.create', {
    ctid, ostemplate: 'busybox', hostname: `mig${ctid}.test`, ips: [`${ip}/24`], gateway: '10.199.6.1',
    ram: 128 * MiB, numproc: 128, diskspace: 512 * MiB, diskinodes: 65536, start: true,
  }, { opId: `test-create-${ctid}` });
  const ve = await db.prisma.ve.create({ data: { ctid, hostname: `mig${ctid}.test`, nodeId: nodeA.id, templateId, state: 'running' } });
  await db.prisma.ipAddress.create({ data: { address: ip, poolId, veId: ve.id, assignedAt: new Date() } });
  const root = path.join(A.vzroot, 'root', String(ctid));
  const sums = new Map<string, string>();
  await mkdir(path.join(root, 'data/small'), { recursive: true });
  for (let i = 0; i < mb; i++) {
    const b = randomBytes(MiB);
    await writeFile(path.join(root, `data/big-${i}.bin`), b);
    sums.set(`data/big-${i}.bin`, sha(b));
  }
  for (let i = 0; i < 500; i++) {
    const b = randomBytes(randomInt(1, 8192));
    await writeFile(path.join(root, `data/small/f${i}`), b);
    sums.set(`data/small/f${i}`, sha(b));
  }
  return { ctid, ip, veId: ve.id, root, sums };
}

/** Starts a process inside the VE that appends a numbered line to /root/writer.log every 20 ms. */
async function startWriter(n: MigTestNode, ctid: number) {
  const loop = 'i=0; while :; do i=$((i+1)); echo "line-$i" >> /root/writer.log; usleep 20000; done';
  await sh('lxc-attach', ['-n', String(ctid), '-P', n.lxcpath, '--', 'sh', '-c', `(${loop}) </dev/null >/dev/null 2>&1 &`]);
}

async function checksumsAt(root: string, sums: Map<string, string>) {
  const bad: string[] = [];
  for (const [rel, want] of sums) if (sha(await readFile(path.join(root, rel))) !== want) bad.push(rel);
  return bad;
}

/** Nothing of `ctid` is left on the target: no conf, private area, mount, loop, id range or key line. */
async function expectNothingOnB(ctid: number) {
  expect(existsSync(path.join(B.vzroot, 'conf', `${ctid}.conf`))).toBe(false);
  expect(existsSync(path.join(B.vzroot, 'private', String(ctid)))).toBe(false);
  expect(await mountPointSource(path.join(B.vzroot, 'root', String(ctid)))).toBeUndefined();
  expect(await loopsOf(path.join(B.vzroot, 'private', String(ctid), 'root.img'))).toEqual([]);
  const ranges = await readdir(path.join(B.vzroot, 'idmap')).catch(() => [] as string[]);
  for (const f of ranges) expect((await readFile(path.join(B.vzroot, 'idmap', f), 'utf8')).trim()).not.toBe(String(ctid));
  expect(await readFile(B.sshd.authorizedKeysPath, 'utf8')).not.toContain(`vzmigrate-${ctid}`);
  expect(await lxcState(B, ctid)).not.toBe('RUNNING');
}

beforeAll(async () => {
  tplDir = mkdtempSync(`/tmp/vz-mig-${R}-tpl-`);
  const tpl = await buildAgentAndTemplate(tplDir);
  A = await makeMigNode(R, 'a', tpl);
  B = await makeMigNode(R, 'b', tpl);
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  const node = (n: MigTestNode) => db.prisma.node.create({
    data: { name: n.name, address: n.sshd.host, sshPort: n.sshd.port, transport: 'local', vzroot: n.vzroot, hostKey: n.sshd.hostPublicKey, state: 'online' },
  });
  nodeA = await node(A);
  nodeB = await node(B);
  templateId = (await seedTemplate(db.prisma, `busybox-${R}`)).id;
  poolId = (await db.prisma.ipPool.create({
    data: { name: `mig-${R}`, cidr: '10.199.6.0/24', family: 4, gateway: '10.199.6.1', prefix: 24, nodes: { connect: [{ id: nodeA.id }, { id: nodeB.id }] } },
  })).id;
  registerMigrateTasks();
  worker = await run({ connectionString: db.url, concurrency: 2, noHandleSignals: true, pollInterval: 200, taskList: { 'task.run': taskRunner(db.prisma) } });
}, 240_000);

afterAll(async () => {
  migrationHooks.beforeVerify = undefined;
  await worker?.stop();
  await closeAll();
  await destroyMigNode(A);
  await destroyMigNode(B);
  await db?.drop();
  await rm(tplDir, { recursive: true, force: true });
}, 120_000);

describe('ve.migrate between two nodes', () => {
  it('moves a running VE with a live writer: same ctid, addresses and data on the target; source keeps .migrated', async () => {
    const v = await runningVe(160);
    await startWriter(A, v.ctid);
    await new Promise((r) => setTimeout(r, 300));
    const dry = await requestMigrateVe(db.prisma, {}, v.veId, { targetNodeId: nodeB.id, dryRun: true });
    expect(dry.taskId).toBeNull();
    expect(dry.plan).toMatchObject({ mode: 'two-pass', status: 'running' });
    expect(dry.plan.reason).toMatch(/CRIU is not usable/);
    expect(dry.plan.checks.every((c) => c.ok)).toBe(true);
    expect(existsSync(path.join(B.vzroot, 'private', String(v.ctid)))).toBe(false); // a dry run acts on nothing

    const { taskId } = await requestMigrateVe(db.prisma, {}, v.veId, { targetNodeId: nodeB.id, keepHours: 0.003 });
    const t = await waitTask(taskId!);
    expect(t.error ?? '').toBe('');
    expect(t.status).toBe('succeeded');
    const res = t.result as { mode: string; pauseMs: number; timings: Array<{ phase: string; ms: number }>; migrated: { name: string; cleanupTaskId: string }; passes: Array<{ bytesTransferred: number }> };
    expect(res.mode).toBe('two-pass');
    expect(res.timings.map((x) => x.phase)).toEqual(['pre-flight', 'copy-while-running', 'freeze', 'final-copy', 'verify', 'commit', 'start-on-target', 'cleanup']);
    expect(res.pauseMs).toBeGreaterThan(0);
    expect(res.passes[0].bytesTransferred).toBeGreaterThan(160 * MiB);
    console.log(`[migrate] pause ${res.pauseMs} ms; phases ${JSON.stringify(res.timings)}; passes ${JSON.stringify(res.passes)}; ${JSON.stringify((t.result as { manifest: unknown }).manifest)}; ${(await taskLog(t.id)).join(" / ")}`);

    // Runs on B only, with the same ctid and address; the record and the address moved with it.
    expect(await lxcState(B, v.ctid)).toBe('RUNNING');
    expect(await lxcState(A, v.ctid)).not.toMatch(/RUNNING|FROZEN/);
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId }, include: { ipAddresses: true } });
    expect(ve).toMatchObject({ nodeId: nodeB.id, state: 'running' });
    expect(ve.ipAddresses.map((a) => a.address)).toEqual([v.ip]);
    const ipOut = (await sh('lxc-attach', ['-n', String(v.ctid), '-P', B.lxcpath, '--', 'ip', '-4', 'addr', 'show', 'eth0'])).stdout;
    expect(ipOut).toContain(`${v.ip}/24`);

    // Data: every file equal; the writer's last line before the freeze is on B.
    const rootB = path.join(B.vzroot, 'root', String(v.ctid));
    expect(await checksumsAt(rootB, v.sums)).toEqual([]);
    const migrated = path.join(A.vzroot, 'private', res.migrated.name);
    expect(existsSync(path.join(migrated, 'root.img'))).toBe(true);
    expect(existsSync(path.join(A.vzroot, 'conf', `${v.ctid}.conf`))).toBe(false);
    const mnt = path.join(A.vzroot, `ro-${v.ctid}`);
    await mkdir(mnt);
    await sh('mount', ['-o', 'loop,ro,noload', path.join(migrated, 'root.img'), mnt]);
    let srcLog: string;
    try {
      srcLog = await readFile(path.join(mnt, 'root/writer.log'), 'utf8');
      expect(await checksumsAt(mnt, v.sums)).toEqual([]);
    } finally {
      await sh('umount', ['-d', mnt]);
    }
    const lines = srcLog.trim().split('\n');
    expect(lines.length).toBeGreaterThan(20);
    const dstLog = await readFile(path.join(rootB, 'root/writer.log'), 'utf8');
    expect(dstLog.startsWith(srcLog)).toBe(true);
    expect(dstLog.split('\n')).toContain(lines.at(-1));

    // The delayed cleanup task removes the kept copy later and logs it.
    const cleanup = await waitTask(res.migrated.cleanupTaskId, 60_000);
    expect(cleanup.status).toBe('succeeded');
    expect(await taskLog(cleanup.id)).toContain(`removed ${res.migrated.name} on ${nodeA.name}`);
    expect(existsSync(migrated)).toBe(false);
  }, 300_000);

  it('refuses the commit when a byte differs on the target; the VE keeps running on the source', async () => {
    const v = await runningVe(16);
    const victim = 'data/big-3.bin';
    migrationHooks.beforeVerify = async ({ targetRoot }) => {
      const fh = await open(path.join(targetRoot, victim), 'r+');
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, 4242);
      b[0] ^= 0x01;
      await fh.write(b, 0, 1, 4242);
      await fh.close();
    };
    try {
      const { taskId } = await requestMigrateVe(db.prisma, {}, v.veId, { targetNodeId: nodeB.id });
      const t = await waitTask(taskId!);
      expect(t.status).toBe('failed');
      expect(t.errorCode).toBe('CONFLICT');
      expect(t.error).toMatch(/differs from the source.*commit refused/);
    } finally {
      migrationHooks.beforeVerify = undefined;
    }
    expect(await lxcState(A, v.ctid)).toBe('RUNNING');
    expect(await checksumsAt(v.root, v.sums)).toEqual([]);
    expect(await db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } })).toMatchObject({ nodeId: nodeA.id, state: 'running' });
    await expectNothingOnB(v.ctid);
  }, 300_000);

  it('leaves the VE running on the source and nothing on the target when the target sshd dies mid-copy', async () => {
    const v = await runningVe(96);
    const { taskId } = await requestMigrateVe(db.prisma, {}, v.veId, { targetNodeId: nodeB.id, bwlimitKBps: 16_000 });
    for (const end = Date.now() + 60_000; Date.now() < end;) {
      const t = await db.prisma.task.findUniqueOrThrow({ where: { id: taskId! } });
      if (t.message === 'copy-while-running' || t.status !== 'queued' && t.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1500));
    await B.sshd.stop();
    try {
      const t = await waitTask(taskId!);
      expect(t.status).toBe('failed');
      expect(t.error).toMatch(/rsync|ssh/); // the copy dies, or reopening its connection does
      const log = await taskLog(taskId!);
      expect(log).toContain('cleanup: remove target copy');
      expect(log).toContain('phase copy-while-running');
      expect(log).not.toContain('phase freeze'); // it died during the first copy, as intended
    } finally {
      await B.sshd.restart();
    }
    expect(await lxcState(A, v.ctid)).toBe('RUNNING');
    expect(await checksumsAt(v.root, v.sums)).toEqual([]);
    expect(await db.prisma.ve.findUniqueOrThrow({ where: { id: v.veId } })).toMatchObject({ nodeId: nodeA.id, state: 'running' });
    await expectNothingOnB(v.ctid);
  }, 300_000);

  it('refuses checkpoint with the CRIU reason', async () => {
    const ctid = [...ctids][0];
    await expect(agentOf(nodeB).call('ve.checkpoint', { ctid }, { opId: `test-ckpt-${R}` })).rejects.toMatchObject({
      code: 'UNPROCESSABLE', data: { agentCode: 'UNSUPPORTED' }, message: expect.stringMatching(/needs CRIU, which is not usable on this node: .+/),
    });
  });
});
