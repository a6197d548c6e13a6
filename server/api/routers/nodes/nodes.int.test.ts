// nodes.* through tRPC against a real sshd: probe, add (bootstrap task), host-key mismatch flag and re-pin, maintenance, remove.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { startTestSshd, type TestSshd, testKeyPair } from '@/test/fixtures/sshd';
import { seedTemplate, uniq } from '@/test/fixtures/panel';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { SESSION_COOKIE } from '@/server/services/auth/sessions';
import { closeAll } from '@/server/nodes/pool';
import { configureNodeBootstrap } from '@/server/operations/nodes';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { startNodeMonitor } from '@/server/operations/node-monitor';
import { waitTasksDone } from '@/test/fixtures/panel-node';
import { createTestAccount, removeAccount, testAccountName, type TestAccount } from '@/test/fixtures/accounts';

let db: TestDatabase;
let worker: PanelWorker;
const sshds: TestSshd[] = [];
const dir = mkdtempSync('/tmp/vz-nodes-api-');
chmodSync(dir, 0o711); // the agent account reaches the socket under it
let rootAlias: TestAccount | undefined; // the bootstrap's root login, with dotfiles this test controls
const agentUser = testAccountName();
const password = 'correct horse battery';
const added: string[] = []; // node names bootstrapped here (their directly started daemons are stopped after)

beforeAll(async () => {
  process.env.VZPANEL_DATA_DIR = path.join(dir, 'panel'); // this run's own panel key
  db = await createTestDatabase();
  configureNodeBootstrap((n) => ({
    installRoot: path.join(dir, n.name, 'opt'), vzroot: path.join(dir, n.name, 'vz'), unitPath: path.join(dir, n.name, 'vzagentd.service'),
    authorizedKeysPath: sshds.at(-1)!.authorizedKeysPath, packages: false, startWith: 'direct', agentUser, agentHome: path.join(dir, n.name, 'home'),
  }));
  rootAlias = await createTestAccount({ root: true });
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 2 });
});
afterAll(async () => {
  await worker?.stop();
  await closeAll();
  for (const s of sshds) await s.destroy();
  for (const name of added) {
    try { process.kill(Number(readFileSync(path.join(dir, name, 'opt', 'vzagentd.pid'), 'utf8')), 'SIGTERM'); } catch { /* not started */ }
  }
  await db?.drop();
  await rootAlias?.remove();
  await removeAccount(agentUser);
  rmSync(dir, { recursive: true, force: true });
});

async function adminCaller() {
  const u = await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password, role: 'admin' });
  const ctx = await createInnerContext(db.prisma, {});
  await createCaller(ctx).auth.login({ email: u.email, password });
  const c = ctx.cookies.find((x) => x.startsWith(`${SESSION_COOKIE}=`))!;
  return createCaller(await createInnerContext(db.prisma, { sessionToken: decodeURIComponent(c.slice(SESSION_COOKIE.length + 1).split(';')[0]) }));
}

describe('nodes API', () => {
  it('adds a node over SSH, flags a changed host key, re-pins it, and removes the node', { timeout: 180_000 }, async () => {
    const admin = await adminCaller();
    const key = testKeyPair('admin');
    const sshd = await startTestSshd({ authorizedKeys: [key.public] });
    sshds.push(sshd);
    const probe = await admin.nodes.probeHostKey({ address: sshd.host, sshPort: sshd.port });
    expect(probe.fingerprint).toBe(sshd.hostKeyFingerprint);
    await expect(admin.nodes.add({ name: 'n-wrong', address: sshd.host, sshPort: sshd.port, hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`, credential: { privateKey: key.private } }))
      .rejects.toMatchObject({ code: 'CONFLICT' });

    const name = uniq('n');
    added.push(name);
    const res = await admin.nodes.add({ name, address: sshd.host, sshPort: sshd.port, sshUser: rootAlias!.name, hostKeyFingerprint: probe.fingerprint, credential: { privateKey: key.private } });
    const [task] = await waitTasksDone(db.prisma, [res.taskId], 120_000);
    expect(task.status, task.error ?? '').toBe('succeeded');
    expect(JSON.stringify(task.params)).not.toContain('credential'); // the sealed one-time credential is gone
    const node = await admin.nodes.get({ name });
    expect(node).toMatchObject({ state: 'online', transport: 'ssh', hostKeyFingerprint: sshd.hostKeyFingerprint, hostKeyMismatch: false });
    // day to day the panel logs in as the agent account, not as the admin's root login
    expect((await db.prisma.node.findUniqueOrThrow({ where: { id: res.nodeId } })).sshUser).toBe(agentUser);
    expect(readFileSync(sshd.authorizedKeysPath, 'utf8')).toContain('restrict,command=');

    // The address now answers with another host key: the monitor flags the node, nothing is sent.
    const impostor = await startTestSshd();
    sshds.push(impostor);
    await db.prisma.node.update({ where: { id: res.nodeId }, data: { address: impostor.host, sshPort: impostor.port } });
    const monitor = startNodeMonitor({ prisma: db.prisma, intervalMs: 60_000 });
    await monitor.tick();
    await monitor.stop();
    const flagged = await admin.nodes.get({ name });
    expect(flagged).toMatchObject({ hostKeyMismatch: true, state: 'offline' });
    expect(flagged.stateReason).toMatch(/host key/);
    expect(impostor.log()).not.toMatch(/Accepted|publickey/i);
    // Back to the real node, the admin confirms its key: the flag clears.
    await db.prisma.node.update({ where: { id: res.nodeId }, data: { address: sshd.host, sshPort: sshd.port } });
    const cleared = await admin.nodes.clearHostKeyMismatch({ nodeId: res.nodeId, hostKeyFingerprint: sshd.hostKeyFingerprint });
    expect(cleared).toMatchObject({ hostKeyMismatch: false, state: 'unknown' });

    expect((await admin.nodes.setMaintenance({ nodeId: res.nodeId, maintenance: true })).maintenance).toBe(true);
    const tpl = await seedTemplate(db.prisma);
    const ve = await db.prisma.ve.create({ data: { ctid: 7777, hostname: 'x.test', nodeId: res.nodeId, templateId: tpl.id, state: 'stopped' } });
    await expect(admin.nodes.remove({ nodeId: res.nodeId })).rejects.toMatchObject({ code: 'CONFLICT' });
    // With fleet operations present (node.evacuate registered) evacuation is a task; without, UNPROCESSABLE.
    const ev = await admin.nodes.remove({ nodeId: res.nodeId, evacuate: true }).catch((e: Error) => e);
    if (ev instanceof Error) expect(ev.message).toBe('evacuation is part of fleet operations');
    else await waitTasksDone(db.prisma, [ev.taskId!], 120_000);
    await db.prisma.ve.delete({ where: { id: ve.id } });
    expect(await admin.nodes.remove({ nodeId: res.nodeId })).toEqual({ removed: true, taskId: null });
    expect(await db.prisma.node.count({ where: { id: res.nodeId } })).toBe(0);
  });

  it('refuses a node whose root .bashrc sleeps 30 s and prints a banner: the bootstrap task fails with the cause instead of staying running', { timeout: 120_000 }, async () => {
    const admin = await adminCaller();
    const key = testKeyPair('admin');
    const sshd = await startTestSshd({ authorizedKeys: [key.public] });
    sshds.push(sshd);
    const slowRoot = await createTestAccount({ root: true, bashrc: 'echo "Welcome to node7"\nsleep 30\n' });
    try {
      const name = uniq('slow');
      const t0 = Date.now();
      const res = await admin.nodes.add({ name, address: sshd.host, sshPort: sshd.port, sshUser: slowRoot.name, hostKeyFingerprint: sshd.hostKeyFingerprint, credential: { privateKey: key.private } });
      const [task] = await waitTasksDone(db.prisma, [res.taskId], 60_000);
      expect(task.status).toBe('failed');
      expect(task.error).toMatch(/login shell of .* did not run a command within 10 s: its startup files/);
      expect(Date.now() - t0).toBeLessThan(40_000);
      const node = await admin.nodes.get({ name });
      expect(node.state).toBe('offline');
      expect(node.stateReason).toMatch(/startup files/);
      expect(JSON.stringify(task.params)).not.toContain('credential');
      await admin.nodes.remove({ nodeId: res.nodeId });
    } finally {
      await slowRoot.remove();
    }
  });
});
