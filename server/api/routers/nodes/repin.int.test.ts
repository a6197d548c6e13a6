// Against real sshds on 127.0.25.x: re-pinning a node's changed host key (only the key the node
// presents now, once the admin confirms it), and a bootstrap failing in plain words when the
// node is unreachable, refuses the credential, or shows another host key than the one confirmed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { startTestSshd, type TestSshd, testKeyPair } from '@/test/fixtures/sshd';
import { uniq } from '@/test/fixtures/panel';
import { waitTasksDone } from '@/test/fixtures/panel-node';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';
import { closeAll } from '@/server/nodes/pool';
import { configureNodeBootstrap } from '@/server/operations/nodes';
import { startNodeMonitor } from '@/server/operations/node-monitor';
import { startWorker, type PanelWorker } from '@/server/operations/worker';

let db: TestDatabase;
let admin: ReturnType<typeof createCaller>;
let worker: PanelWorker | undefined;
const sshds: TestSshd[] = [];
const dir = mkdtempSync('/tmp/nod-repin-');
chmodSync(dir, 0o711);
const host = () => `127.0.25.${randomInt(2, 250)}`;

beforeAll(async () => {
  process.env.VZPANEL_DATA_DIR = path.join(dir, 'panel');
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
  // Nothing here may reach the install step; should it, it stays inside this test's folder.
  configureNodeBootstrap((n) => ({ installRoot: path.join(dir, n.name, 'opt'), vzroot: path.join(dir, n.name, 'vz'), unitPath: path.join(dir, n.name, 'unit'), packages: false, startWith: 'direct', agentHome: path.join(dir, n.name, 'home') }));
  const u = await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password: 'correct horse battery', role: 'admin' });
  admin = createCaller(await createInnerContext(db.prisma, { sessionToken: (await createSession(db.prisma, u.id)).token }));
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await closeAll();
  for (const s of sshds) await s.destroy();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function sshd(opts: Parameters<typeof startTestSshd>[0] = {}) {
  const s = await startTestSshd({ host: host(), ...opts });
  sshds.push(s);
  return s;
}

describe('re-pin a changed host key', () => {
  it('flags the node, refuses the old fingerprint, and pins only the key the node presents now', { timeout: 60_000 }, async () => {
    const before = await sshd();
    const node = await db.prisma.node.create({ data: { name: uniq('rp'), address: before.host, sshPort: before.port, transport: 'ssh', hostKey: before.hostPublicKey, state: 'online' } });
    // The machine is reinstalled: same address, new host key.
    await before.stop();
    const after = await sshd({ host: before.host, port: before.port });
    expect(after.hostKeyFingerprint).not.toBe(before.hostKeyFingerprint);
    const monitor = startNodeMonitor({ prisma: db.prisma, intervalMs: 60_000 });
    await monitor.tick();
    await monitor.stop();
    const flagged = await admin.nodes.get({ name: node.name });
    expect(flagged).toMatchObject({ hostKeyMismatch: true, state: 'offline', hostKeyFingerprint: before.hostKeyFingerprint });
    expect(flagged.capabilityReport.find((c) => c.key === 'placement')).toMatchObject({ on: false, detail: expect.stringContaining('another SSH host key') });

    // The page shows old and new side by side: the new one comes from a probe, which logs in nowhere.
    const probe = await admin.nodes.probeHostKey({ address: node.address, sshPort: node.sshPort });
    expect(probe.fingerprint).toBe(after.hostKeyFingerprint);
    expect(after.log()).not.toMatch(/Accepted|publickey for/i);

    await expect(admin.nodes.clearHostKeyMismatch({ nodeId: node.id, hostKeyFingerprint: before.hostKeyFingerprint })).rejects.toMatchObject({
      code: 'CONFLICT', message: expect.stringMatching(/^Host key changed: .* now presents SHA256:/),
    });
    expect((await admin.nodes.get({ name: node.name })).hostKeyMismatch).toBe(true);
    const repinned = await admin.nodes.clearHostKeyMismatch({ nodeId: node.id, hostKeyFingerprint: after.hostKeyFingerprint });
    expect(repinned).toMatchObject({ hostKeyMismatch: false, state: 'unknown', hostKeyFingerprint: after.hostKeyFingerprint });
  });
});

describe('bootstrap failures in plain words', () => {
  it('says unreachable, authentication refused and host key changed, and leaves the node offline with that reason', { timeout: 120_000 }, async () => {
    const admKey = testKeyPair('admin');
    const otherKey = testKeyPair('not authorized');
    const add = async (s: TestSshd, privateKey: string) => {
      const name = uniq('bf');
      const r = await admin.nodes.add({ name, address: s.host, sshPort: s.port, hostKeyFingerprint: s.hostKeyFingerprint, credential: { privateKey } });
      return { name, taskId: r.taskId };
    };
    const refused = await add(await sshd({ authorizedKeys: [admKey.public] }), otherKey.private);
    const gone = await sshd({ authorizedKeys: [admKey.public] });
    const unreachable = await add(gone, admKey.private);
    await gone.stop(); // confirmed, then the node went away before the task ran
    const swapped = await sshd({ authorizedKeys: [admKey.public] });
    const changed = await add(swapped, admKey.private);
    await swapped.stop();
    await sshd({ host: swapped.host, port: swapped.port, authorizedKeys: [admKey.public] }); // another machine answers there now

    worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 2 });
    const tasks = await waitTasksDone(db.prisma, [refused.taskId, unreachable.taskId, changed.taskId], 90_000);
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const expectFailure = async (n: { name: string; taskId: string }, text: RegExp) => {
      const t = byId.get(n.taskId)!;
      expect(t.status).toBe('failed');
      expect(t.error).toMatch(text);
      expect(JSON.stringify(t.params)).not.toContain('credential');
      const node = await admin.nodes.get({ name: n.name });
      expect(node.state).toBe('offline');
      expect(node.stateReason).toBe(`bootstrap failed: ${t.error}`);
    };
    await expectFailure(refused, /^Authentication refused: root@127\.0\.25\.\d+:\d+ did not accept the password or key you gave\.$/);
    await expectFailure(unreachable, /^Unreachable: nothing completed an SSH handshake at 127\.0\.25\.\d+:\d+ \(.*ECONNREFUSED.*\)\. Check the address/);
    await expectFailure(changed, /^Host key changed: 127\.0\.25\.\d+:\d+ now presents SHA256:\S+, not the SHA256:\S+ you confirmed\. Nothing was sent to it\./);
  });
});
