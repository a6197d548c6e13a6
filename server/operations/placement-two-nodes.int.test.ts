// Two nodes added through the SSH bootstrap path; VEs created without a node land on both by placement.
// Then the SSH connection is dropped in the middle of a create and the job is delivered twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes, randomInt } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { startTestSshd, type TestSshd, testKeyPair } from '@/test/fixtures/sshd';
import { createTestAccount, removeAccount, testAccountName, type TestAccount } from '@/test/fixtures/accounts';
import { uniq } from '@/test/fixtures/panel';
import { waitTasksDone } from '@/test/fixtures/panel-node';
import { cleanupVzroot } from '@/agents/src/lxc/test-env';
import { closeAll } from '@/server/nodes/pool';
import { configureNodeBootstrap, requestAddNode } from '@/server/operations/nodes';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { startNodeMonitor } from '@/server/operations/node-monitor';
import { createPool } from '@/server/services/ippools';
import { createPlan } from '@/server/services/plans';
import { requestCreateVe } from '@/server/services/ves';

const sh = promisify(execFile);
let db: TestDatabase;
let worker: PanelWorker;
const dir = mkdtempSync('/tmp/vz-place2-');
chmodSync(dir, 0o711);
const sshds = new Map<string, TestSshd>();
const bridges = new Map<string, string>();
const names: string[] = [];
const shared = { nodeIds: [] as string[], planId: '' };
let rootAlias: TestAccount | undefined; // the bootstrap's root login, with dotfiles this test controls
const agentUser = testAccountName();

beforeAll(async () => {
  process.env.VZPANEL_DATA_DIR = path.join(dir, 'panel');
  db = await createTestDatabase();
  configureNodeBootstrap((n) => ({
    installRoot: path.join(dir, n.name, 'opt'), vzroot: path.join(dir, n.name, 'vz'), unitPath: path.join(dir, n.name, 'vzagentd.service'),
    bridge: bridges.get(n.name), agentEnv: { VZ_VE_NETWORKS: '10.199.0.0/16' },
    authorizedKeysPath: sshds.get(n.name)!.authorizedKeysPath, packages: false, startWith: 'direct', agentUser, agentHome: path.join(dir, n.name, 'home'),
  }));
  rootAlias = await createTestAccount({ root: true });
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 4 });
});

afterAll(async () => {
  await worker?.stop();
  await closeAll();
  for (const name of names) {
    try { process.kill(Number(readFileSync(path.join(dir, name, 'opt', 'vzagentd.pid'), 'utf8')), 'SIGTERM'); } catch { /* not started */ }
    await cleanupVzroot(path.join(dir, name, 'vz'), bridges.get(name)!).catch(() => undefined);
  }
  for (const s of sshds.values()) await s.destroy();
  await db?.drop();
  await rootAlias?.remove();
  await removeAccount(agentUser);
  rmSync(dir, { recursive: true, force: true });
});

describe('two nodes by bootstrap', () => {
  it('bootstraps two nodes over SSH and places VEs on both', { timeout: 240_000 }, async () => {
    const adminKey = testKeyPair('admin');
    const nodeIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const name = uniq(`pn${i}`);
      names.push(name);
      bridges.set(name, `vzp${randomBytes(3).toString('hex')}`);
      const sshd = await startTestSshd({ authorizedKeys: [adminKey.public] });
      sshds.set(name, sshd);
      const r = await requestAddNode(db.prisma, { userId: null }, {
        name, address: sshd.host, sshPort: sshd.port, sshUser: rootAlias!.name, hostKeyFingerprint: sshd.hostKeyFingerprint, credential: { privateKey: adminKey.private },
      });
      nodeIds.push(r.nodeId);
      const [t] = await waitTasksDone(db.prisma, [r.taskId], 120_000);
      expect(t.status, t.error ?? '').toBe('succeeded');
    }
    const monitor = startNodeMonitor({ prisma: db.prisma, intervalMs: 60_000 });
    await monitor.tick();
    await monitor.stop();
    const nodes = await db.prisma.node.findMany({ where: { id: { in: nodeIds } } });
    expect(nodes.map((n) => n.state)).toEqual(['online', 'online']);

    const net = randomInt(100, 250);
    await createPool(db.prisma, { name: uniq('pool'), cidr: `10.199.${net}.0/24`, gateway: `10.199.${net}.1`, nodeIds });
    await db.prisma.template.upsert({ where: { name: 'busybox' }, update: {}, create: { name: 'busybox', os: 'busybox', version: '1', arch: 'x86_64', sizeBytes: 1n, sha256: '0'.repeat(64) } });
    const plan = await createPlan(db.prisma, { name: uniq('tiny'), ram: 64, diskspace: 128, diskinodes: 8192, numproc: 64 });
    const ctidBase = randomInt(70, 99) * 1000;
    await db.prisma.setting.upsert({ where: { key: 've.nextCtid' }, update: { value: ctidBase }, create: { key: 've.nextCtid', value: ctidBase } });

    const created = [];
    for (let i = 0; i < 2; i++) {
      created.push(await requestCreateVe(db.prisma, { role: 'admin' }, { hostname: `placed${i}.example.test`, planId: plan.id, template: 'busybox', password: 'placement pw 1' }));
    }
    shared.nodeIds = nodeIds;
    shared.planId = plan.id;
    const done = await waitTasksDone(db.prisma, created.map((c) => c.taskId), 180_000);
    for (const t of done) expect(t.status, t.error ?? '').toBe('succeeded');
    // Each node had the same room; the first VE's limits count against its node, so the second goes to the other.
    expect(new Set(created.map((c) => c.ve.nodeId))).toEqual(new Set(nodeIds));
    for (const c of created) {
      const name = nodes.find((n) => n.id === c.ve.nodeId)!.name;
      const { stdout } = await sh('lxc-info', ['-n', String(c.ve.ctid), '-P', path.join(dir, name, 'vz', 'lxc'), '-sH']);
      expect(stdout.trim()).toBe('RUNNING');
      expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: c.ve.id } })).state).toBe('running');
    }
  });

  it('drops the SSH connection in the middle of a create, then delivers the job twice: one container, the journaled result', { timeout: 240_000 }, async () => {
    expect(shared.nodeIds).toHaveLength(2); // set by the test above
    const nodeId = shared.nodeIds[0];
    const node = await db.prisma.node.findUniqueOrThrow({ where: { id: nodeId } });
    const sshd = sshds.get(node.name)!;
    const acceptedBefore = sshd.log().split('\n').filter((l) => l.includes('Accepted publickey')).length;
    // A diskinodes value no VE used before: the agent builds a template image first, a window of a few hundred ms.
    const c = await requestCreateVe(db.prisma, { role: 'admin' }, {
      hostname: 'dropped.example.test', planId: shared.planId, template: 'busybox', password: 'drop test pw 1', nodeId,
      overrides: { diskinodes: 8192 + randomInt(1, 4000) },
    });
    // Drop every SSH session to the node while the agent's journal says the create is running: its
    // answer cannot have left yet, so the panel must get it over a new connection (same operation id).
    const { opId } = await db.prisma.task.findUniqueOrThrow({ where: { id: c.taskId } });
    const journal = path.join(dir, node.name, 'vz', 'journal', `${opId}:create.json`);
    const journalStatus = () => readFile(journal, 'utf8').then((t) => (JSON.parse(t) as { status: string }).status, () => 'absent');
    let dropped = false;
    for (const until = Date.now() + 60_000; Date.now() < until;) {
      const st = await journalStatus();
      if (st === 'running') {
        sshd.dropSessions();
        dropped = (await journalStatus()) === 'running';
        break;
      }
      if (st !== 'absent') break;
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(dropped, 'the connection was dropped while the agent ran the create').toBe(true);
    const [first] = await waitTasksDone(db.prisma, [c.taskId], 120_000);
    expect(first.status, first.error ?? '').toBe('succeeded');
    expect(await journalStatus()).toBe('done');
    // The pool opened a new connection for what followed the drop.
    expect(sshd.log().split('\n').filter((l) => l.includes('Accepted publickey')).length).toBeGreaterThan(acceptedBefore);

    // Redelivery: the queue hands the same task out again as if the first run never recorded its end.
    await db.prisma.task.update({ where: { id: c.taskId }, data: { status: 'running', finishedAt: null } });
    await db.prisma.$executeRaw`SELECT graphile_worker.add_job('task.run', json_build_object('taskId', ${c.taskId}::text), queue_name => ${`ve:${c.ve.ctid}`}::text, job_key => ${c.taskId}::text)`;
    const [second] = await waitTasksDone(db.prisma, [c.taskId], 120_000);
    expect(second.status, second.error ?? '').toBe('succeeded'); // not VE_EXISTS: the agent answered from its journal
    expect(second.result).toEqual(first.result);
    const lxcpath = path.join(dir, node.name, 'vz', 'lxc');
    const { stdout } = await sh('lxc-ls', ['-P', lxcpath, '-1']);
    expect(stdout.split('\n').filter((l) => l.trim() === String(c.ve.ctid))).toHaveLength(1);
    expect((await sh('lxc-info', ['-n', String(c.ve.ctid), '-P', lxcpath, '-sH'])).stdout.trim()).toBe('RUNNING');
  });
});
