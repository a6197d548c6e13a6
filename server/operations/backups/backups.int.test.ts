// Backups end to end through the panel: real vzagentd + LXC VEs, restic, and a real sshd on 127.0.79.x
// as the sftp repository; tasks run in the real graphile worker. What a customer and an admin would see.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { laneCtidOffset } from '@/agents/src/lxc/test-env';
import { startTestSshd, type TestSshd } from '@/test/fixtures/sshd';
import { seedUser, uniq } from '@/test/fixtures/panel';
import { closeAll } from '@/server/nodes/pool';
import { createHttpServer } from '@/server/http/server';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { createDownloadLink, requestBackup, requestForget, requestRestore, requestRestoreToNewVe, requestDrill, requestSnapshot, requestSnapshotAction } from '@/server/services/backups';
import { createWebhook } from '@/server/services/webhooks';
import { requestPowerAction } from '@/server/services/ves';
import { addStorage, checkStorage, probeStorageHostKey } from './storage-admin';

const sh = promisify(execFile);
let db: TestDatabase;
let N: PanelTestNode;
let worker: PanelWorker;
let sshd: TestSshd;
let dir: string;
let storageId: string;
let customer: { id: string };
const admin = { role: 'admin' as const, userId: null };
const asCustomer = () => ({ role: 'customer' as const, userId: customer.id });

beforeAll(async () => {
  dir = mkdtempSync('/tmp/bkp-int-');
  process.env.VZPANEL_DATA_DIR = path.join(dir, 'panel'); // this run's own panel key (seals storage secrets)
  process.env.VZ_BACKUP_ATTEMPTS = '2';
  db = await createTestDatabase({ poolMax: 10 });
  N = await makePanelTestNode(db.prisma);
  // This helper's CTID range (79000-79999).
  await db.prisma.setting.update({ where: { key: 've.nextCtid' }, data: { value: 79000 + randomInt(0, 900) + laneCtidOffset() } });
  await db.prisma.plan.update({ where: { id: N.planId }, data: { backupLimit: 2, snapshotLimit: 1 } });
  sshd = await startTestSshd({ host: `127.0.79.${randomInt(2, 250)}` });
  customer = await seedUser(db.prisma, 'customer');
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 3 });
}, 300_000);
afterAll(async () => {
  await worker?.stop();
  await closeAll();
  await N?.cleanup();
  await sshd?.destroy();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

// The task row with its log folded into `error`, so a failure names every attempt's reason.
async function done(taskId: string, ms = 300_000) {
  const [t] = await waitTasksDone(db.prisma, [taskId], ms);
  if (t.status !== 'succeeded') {
    const logs = await db.prisma.taskLog.findMany({ where: { taskId }, orderBy: { id: 'asc' } });
    return { ...t, error: `${t.error}\n${logs.map((l) => `${l.level}: ${l.line}`).join('\n')}` };
  }
  return t;
}

async function customerVe() {
  const ve = await N.createVe();
  const t = await done(ve.taskId);
  expect(t.status, t.error ?? '').toBe('succeeded');
  await db.prisma.ve.update({ where: { id: ve.veId }, data: { ownerId: customer.id } });
  return ve;
}

// The agent may answer a finished operation a moment before it lets go of the VE: a busy VE is asked again.
async function exec(ctid: number, script: string): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return (await N.agent().call('ve.exec', { ctid, script })).stdout.trim();
    } catch (e) {
      if ((e as { code?: string }).code !== 'BUSY' || i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('backup storage (sftp on a real sshd)', () => {
  it('is trusted only with the host key the admin confirmed, needs its login key authorised, then checks ok', { timeout: 300_000 }, async () => {
    const key = await probeStorageHostKey(sshd.host, sshd.port);
    expect(key.fingerprint).toBe(sshd.hostKeyFingerprint);
    const base = { name: uniq('sftp'), kind: 'sftp' as const, host: sshd.host, port: sshd.port, user: 'root', path: path.join(dir, 'repo') };
    await expect(addStorage(db.prisma, {}, { ...base, hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` })).rejects.toMatchObject({ code: 'CONFLICT' });
    const added = await addStorage(db.prisma, {}, { ...base, hostKeyFingerprint: key.fingerprint });
    storageId = added.id;
    // The panel made a login key; until the storage host authorises it, the check fails and says why.
    const first = await done(added.taskId);
    expect(first.status).toBe('failed');
    expect(first.error).toMatch(/refused the panel's SSH key|auth/i);
    expect((await db.prisma.backupStorage.findUniqueOrThrow({ where: { id: storageId } })).state).toBe('failed');
    sshd.setAuthorizedKeys([added.sshPublicKey!]);
    const second = await done((await checkStorage(db.prisma, {}, storageId)).taskId);
    expect(second.status, second.error ?? '').toBe('succeeded');
    const row = await db.prisma.backupStorage.findUniqueOrThrow({ where: { id: storageId } });
    expect(row.state).toBe('ok');
    expect(row.hostKeyFingerprint).toBe(sshd.hostKeyFingerprint);
    // Secrets are sealed at rest.
    expect(row.sshKeySealed).toMatch(/^v1\./);
    expect(row.sshKeySealed).not.toContain('PRIVATE KEY');
  });
});

describe('back up, restore, download', () => {
  let ve: Awaited<ReturnType<typeof customerVe>>;
  let backupId: string;
  let hookId: string;

  beforeAll(async () => {
    hookId = (await createWebhook(db.prisma, null, { url: 'https://billing.example.test/hook', events: ['backup.completed', 'backup.failed'] })).webhook.id;
    ve = await customerVe();
  }, 300_000);

  it('a customer backs up a running VE with a process writing; the VE keeps running and the backup records its manifest', { timeout: 300_000 }, async () => {
    await exec(ve.ctid, 'echo original > /root/data.txt; (while true; do date >> /root/busy.log; sleep 0.1; done) >/dev/null 2>&1 &');
    const r = await requestBackup(db.prisma, asCustomer(), ve.veId);
    backupId = r.backupId;
    const t = await done(r.taskId);
    expect(t.status, t.error ?? '').toBe('succeeded');
    const b = await db.prisma.backup.findUniqueOrThrow({ where: { id: backupId } });
    expect(b).toMatchObject({ state: 'completed', kind: 'manual', ctid: ve.ctid });
    expect(b.manifestDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.resticId).toMatch(/^[0-9a-f]{64}$/);
    expect(b.pauseMs).toBeGreaterThanOrEqual(0);
    expect(await N.lxcState(ve.ctid)).toBe('RUNNING');
    const d = await db.prisma.webhookDelivery.findFirstOrThrow({ where: { webhookId: hookId, event: 'backup.completed' } });
    expect(d.payload).toMatchObject({ data: { backup: { id: backupId, state: 'completed' }, ve: { id: ve.veId, ctid: ve.ctid } } });
  });

  it('restore puts the backed-up data back into the same VE (same ctid, running again); meanwhile the VE shows restoring and refuses power actions', { timeout: 300_000 }, async () => {
    await exec(ve.ctid, 'echo changed > /root/data.txt; rm -f /root/busy.log');
    const { taskId } = await requestRestore(db.prisma, asCustomer(), backupId);
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.veId } })).state).toBe('restoring');
    const refused = await requestPowerAction(db.prisma, asCustomer(), ve.veId, 'stop').then(() => null, (e: { code: string; message: string }) => e);
    expect(refused).toMatchObject({ code: 'BUSY', message: expect.stringMatching(/being restored from a backup/) });
    const t = await done(taskId);
    expect(t.status, t.error ?? '').toBe('succeeded');
    expect(t.attempts, 'restored at the first attempt').toBe(1);
    expect(await exec(ve.ctid, 'cat /root/data.txt')).toBe('original');
    expect(await N.lxcState(ve.ctid)).toBe('RUNNING');
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.veId } })).state).toBe('running');
    expect((await db.prisma.backup.findUniqueOrThrow({ where: { id: backupId } })).verifiedAt).not.toBeNull();
  });

  it('a restore that fails returns the VE to its state before, with the reason, and power actions work again', { timeout: 300_000 }, async () => {
    // A backup row naming a snapshot the repository does not have: the node refuses before touching the VE.
    const { id: _id, taskId: _t, ...real } = await db.prisma.backup.findUniqueOrThrow({ where: { id: backupId } });
    const ghost = await db.prisma.backup.create({ data: { ...real, resticId: 'ab'.repeat(32), createdAt: new Date() } });
    const { taskId } = await requestRestore(db.prisma, asCustomer(), ghost.id);
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.veId } })).state).toBe('restoring');
    const t = await done(taskId);
    expect(t.status).toBe('failed');
    const after = await db.prisma.ve.findUniqueOrThrow({ where: { id: ve.veId } });
    expect(after).toMatchObject({ state: 'running', lastError: expect.stringMatching(/^restore failed: .*not in the repository/) });
    expect(await exec(ve.ctid, 'cat /root/data.txt')).toBe('original');
    await db.prisma.backup.delete({ where: { id: ghost.id } });
    const restart = await requestPowerAction(db.prisma, asCustomer(), ve.veId, 'restart');
    expect((await done(restart.taskId)).status).toBe('succeeded');
  });

  it("the plan's backup count holds for the customer; deleting one frees a place", { timeout: 300_000 }, async () => {
    const second = await requestBackup(db.prisma, asCustomer(), ve.veId);
    const st = await done(second.taskId);
    expect(st.status, st.error ?? '').toBe('succeeded');
    await expect(requestBackup(db.prisma, asCustomer(), ve.veId)).rejects.toMatchObject({ code: 'CAPACITY' });
    const [forget] = (await requestForget(db.prisma, asCustomer(), [second.backupId])).taskIds;
    const ft = await done(forget);
    expect(ft.status, ft.error ?? '').toBe('succeeded');
    expect(await db.prisma.backup.findUnique({ where: { id: second.backupId } })).toBeNull();
  });

  it('a single-use link streams the backup as a tarball once', { timeout: 300_000 }, async () => {
    const { server } = createHttpServer({ prisma: db.prisma });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const link = await createDownloadLink(db.prisma, asCustomer(), backupId);
      const res = await fetch(base + link.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-tar');
      const file = path.join(dir, 'dl.tar');
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      const { stdout } = await sh('tar', ['-tf', file]);
      expect(stdout.split('\n').some((l) => l.endsWith('root/data.txt'))).toBe(true);
      const again = await fetch(base + link.url);
      expect(again.status).toBe(404);
    } finally {
      await new Promise((r) => { server.closeAllConnections(); server.close(r); });
    }
  });

  it('storage unreachable: the backup fails with that reason after retrying, and the VE keeps running', { timeout: 300_000 }, async () => {
    await sshd.stop();
    try {
      const r = await requestBackup(db.prisma, admin, ve.veId);
      const t = await done(r.taskId);
      expect(t.status).toBe('failed');
      expect(t.attempts).toBe(2);
      expect(t.error).toMatch(/unreachable/);
      const logs = await db.prisma.taskLog.findMany({ where: { taskId: r.taskId } });
      expect(logs.some((l) => /retrying/.test(l.line))).toBe(true);
      expect(await db.prisma.backup.findUniqueOrThrow({ where: { id: r.backupId } })).toMatchObject({ state: 'failed', errorCode: 'REPO_UNREACHABLE' });
      expect(await N.lxcState(ve.ctid)).toBe('RUNNING');
      const d = await db.prisma.webhookDelivery.findFirstOrThrow({ where: { webhookId: hookId, event: 'backup.failed' } });
      expect(d.payload).toMatchObject({ data: { ve: { ctid: ve.ctid } } });
    } finally {
      await sshd.restart();
    }
  });

  it('an admin restores the backup to a new VE, and a restore drill verifies it in a throwaway VE', { timeout: 600_000 }, async () => {
    const r = await requestRestoreToNewVe(db.prisma, admin, backupId, { hostname: `${uniq('restored')}.test`, nodeId: N.node.id });
    const [c, t] = await waitTasksDone(db.prisma, [r.createTaskId, r.taskId], 400_000);
    expect(c.status, c.error ?? '').toBe('succeeded');
    expect(t.status, t.error ?? '').toBe('succeeded');
    expect(r.ve.ctid).not.toBe(ve.ctid);
    expect(await exec(r.ve.ctid, 'cat /root/data.txt')).toBe('original');
    const drill = await done((await requestDrill(db.prisma, admin, backupId)).taskId, 400_000);
    expect(drill.status, drill.error ?? '').toBe('succeeded');
    const report = drill.result as { ok: boolean; throwawayCtid: number; verifiedFiles: number };
    expect(report.ok).toBe(true);
    expect(report.verifiedFiles).toBeGreaterThan(0);
    expect(await N.lxcState(report.throwawayCtid)).toBe('ABSENT');
  });
});

describe('snapshots', () => {
  it('a customer snapshots a VE within the plan count and rolls it back', { timeout: 400_000 }, async () => {
    const ve = await customerVe();
    await exec(ve.ctid, 'echo before > /root/s.txt');
    const s = await requestSnapshot(db.prisma, asCustomer(), ve.veId, 'before change');
    expect((await done(s.taskId)).status).toBe('succeeded');
    await expect(requestSnapshot(db.prisma, asCustomer(), ve.veId)).rejects.toMatchObject({ code: 'CAPACITY' });
    await exec(ve.ctid, 'echo after > /root/s.txt');
    const rb = await done((await requestSnapshotAction(db.prisma, asCustomer(), s.snapshotId, 'rollback')).taskId);
    expect(rb.status, rb.error ?? '').toBe('succeeded');
    expect(await exec(ve.ctid, 'cat /root/s.txt')).toBe('before');
    const del = await done((await requestSnapshotAction(db.prisma, asCustomer(), s.snapshotId, 'delete')).taskId);
    expect(del.status, del.error ?? '').toBe('succeeded');
    expect(await db.prisma.veSnapshot.findUnique({ where: { id: s.snapshotId } })).toBeNull();
  });
});
