// The VE page's extra controls on a real node: autostart in the VE's config, beancounters for the
// admin and the owning customer (another customer gets not-found), extra addresses added and removed
// live (admin tRPC and billing REST) with the anti-spoofing filter following, SSH keys written into
// the VE live and again after a reinstall, iolimit/iopslimit enforced through the blkio throttle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { uniq } from '@/test/fixtures/panel';
import { closeAll } from '@/server/nodes/pool';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { createPool } from '@/server/services/ippools';
import { API_SCOPES, createApiKey } from '@/server/services/auth/apiKeys';
import { createHttpServer } from '@/server/http/server';
import { closeTaskEvents } from '@/server/operations/tasks/events';
import { loopDevNumber } from '@/agents/src/lxc/io-limits';
import { hostFacts } from '@/agents/src/lxc/host-facts';
import { vePaths } from '@/agents/src/sys/paths';

const sh = promisify(execFile);
// This helper's own VE subnet (10.199.126.0/24): the host takes .1 on the test bridge to talk to the VE.
const EXTRA_NET = '10.199.126';

let db: TestDatabase;
let N: PanelTestNode;
let worker: PanelWorker;
let admin: ReturnType<typeof createCaller>;
let ve: { veId: string; ctid: number; addresses: string[] };
const users = { owner: '', other: '' };
let api: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;
let closeHttp: () => Promise<void> = async () => {};

async function callerOf(userId: string) {
  const { token } = await createSession(db.prisma, userId);
  return createCaller(await createInnerContext(db.prisma, { sessionToken: token }));
}

async function done(taskId: string) {
  const [t] = await waitTasksDone(db.prisma, [taskId], 180_000);
  expect(t.status, t.error ?? '').toBe('succeeded');
  return t;
}

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  N = await makePanelTestNode(db.prisma, { ipv4Count: 1 });
  // The fixture picks its pool's /24 at random: move it off this helper's subnet, which the extra-address pool uses.
  if ((await db.prisma.ipPool.findUniqueOrThrow({ where: { id: N.poolId } })).cidr.startsWith(`${EXTRA_NET}.`)) {
    await db.prisma.ipPool.delete({ where: { id: N.poolId } });
    await createPool(db.prisma, { name: uniq('pool'), cidr: '10.199.125.0/24', gateway: '10.199.125.1', nameservers: [], nodeIds: [N.node.id] });
  }
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 2 });
  const pw = 'correct horse battery';
  admin = await callerOf((await createUser(db.prisma, { email: `${uniq('root')}@example.test`, password: pw, role: 'admin' })).id);
  users.owner = (await createUser(db.prisma, { email: `${uniq('own')}@example.test`, password: pw })).id;
  users.other = (await createUser(db.prisma, { email: `${uniq('oth')}@example.test`, password: pw })).id;
  const created = await N.createVe({ hostname: 'extras.test' });
  await done(created.taskId);
  await db.prisma.ve.update({ where: { id: created.veId }, data: { ownerId: users.owner } });
  ve = created;
  await createPool(db.prisma, { name: uniq('extra4'), cidr: `${EXTRA_NET}.0/29`, gateway: `${EXTRA_NET}.1`, nameservers: [], nodeIds: [N.node.id] });
  await createPool(db.prisma, { name: uniq('extra6'), cidr: 'fd00:199:126::/124', gateway: null, nameservers: [], nodeIds: [N.node.id] });
  await sh('ip', ['addr', 'add', `${EXTRA_NET}.1/29`, 'dev', N.tn.bridge]);
  const key = (await createApiKey(db.prisma, { name: 'billing', scopes: [...API_SCOPES] })).token;
  const { server } = createHttpServer({ prisma: db.prisma });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  closeHttp = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  api = async (method, p, body) => {
    const res = await fetch(base + p, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
}, 240_000);
afterAll(async () => {
  await closeHttp();
  await closeTaskEvents();
  await worker?.stop();
  await closeAll();
  await N?.cleanup();
  await db?.drop();
});

const conf = () => readFile(path.join(N.tn.vzroot, 'conf', `${ve.ctid}.conf`), 'utf8');

describe('autostart', () => {
  it('turning autostart off and on writes ONBOOT in the VE config on the node and in the panel', { timeout: 180_000 }, async () => {
    expect(await conf()).toMatch(/^ONBOOT="?yes"?$/m);
    await done((await admin.ves.setOnboot({ id: ve.veId, onboot: false })).taskId);
    expect(await conf()).toMatch(/^ONBOOT="?no"?$/m);
    expect((await admin.ves.get({ id: ve.veId })).onboot).toBe(false);
    expect((await N.agent().call('ve.list', {})).ves.find((v) => v.ctid === ve.ctid)?.onboot).toBe(false);
    await done((await admin.ves.setOnboot({ id: ve.veId, onboot: true })).taskId);
    expect(await conf()).toMatch(/^ONBOOT="?yes"?$/m);
    expect((await admin.ves.get({ id: ve.veId })).onboot).toBe(true);
  });
});

describe('beancounters', () => {
  it('the admin and the owner see live counters of the running VE; another customer gets not-found', { timeout: 60_000 }, async () => {
    const a = await admin.ves.beancounters({ id: ve.veId });
    expect(a.running).toBe(true);
    expect(a.rows.map((r) => r.resource)).toEqual(expect.arrayContaining(['numproc', 'physpages', 'swappages', 'kmemsize', 'oomguarpages', 'diskspace', 'diskinodes']));
    const numproc = a.rows.find((r) => r.resource === 'numproc')!;
    expect(numproc.held).toBeGreaterThan(0);
    expect(numproc.limit).toBe(64);
    // 64 MiB of RAM is 16384 pages.
    expect(a.rows.find((r) => r.resource === 'physpages')!.limit).toBe(16384);
    const mine = await (await callerOf(users.owner)).portal.beancounters({ id: ve.veId });
    expect(mine.rows.find((r) => r.resource === 'physpages')!.held).toBeGreaterThan(0);
    await expect((await callerOf(users.other)).portal.beancounters({ id: ve.veId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

const nodeIps = async () => (await N.agent().call('ve.list', {})).ves.find((v) => v.ctid === ve.ctid)!.ips.map((x) => x.split('/')[0]);
/** Exit code of a ping from inside the VE to the host's address on the bridge, sent from `source`. */
const pingFrom = async (source: string) => (await N.agent().call('ve.exec', { ctid: ve.ctid, command: ['ping', '-c', '1', '-W', '2', '-I', source, `${EXTRA_NET}.1`], timeoutSec: 20 })).exitCode;
const boundTo = async (address: string) => (await db.prisma.ipAddress.findUniqueOrThrow({ where: { address } })).veId;

describe('extra addresses', () => {
  it('an admin adds an extra IPv4 live: it answers from the VE; removed, it is gone, back in its pool, and the filter drops it', { timeout: 240_000 }, async () => {
    const extra = `${EXTRA_NET}.2`;
    const add = await admin.ves.addAddress({ id: ve.veId, family: 4, address: extra });
    expect(add.address).toBe(extra);
    expect(await boundTo(extra)).toBe(ve.veId);
    await done(add.taskId);
    expect(await nodeIps()).toContain(extra);
    expect(await N.lxcState(ve.ctid)).toBe('RUNNING');
    expect(await pingFrom(extra)).toBe(0);
    expect((await admin.ves.get({ id: ve.veId })).addresses.map((a) => a.address)).toContain(extra);
    // Taken: another request for the same address is refused and changes nothing.
    await expect(admin.ves.addAddress({ id: ve.veId, family: 4, address: extra })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(admin.ves.addAddress({ id: ve.veId, family: 4, address: '10.199.127.77' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    await done((await admin.ves.removeAddress({ id: ve.veId, address: extra })).taskId);
    expect(await nodeIps()).not.toContain(extra);
    expect(await boundTo(extra)).toBeNull();
    // The VE putting the address back on its own is spoofing now: the node's filter drops it.
    await N.agent().call('ve.exec', { ctid: ve.ctid, command: ['ip', 'addr', 'add', `${extra}/29`, 'dev', 'eth0'] });
    expect(await pingFrom(extra)).not.toBe(0);
    await N.agent().call('ve.exec', { ctid: ve.ctid, command: ['ip', 'addr', 'del', `${extra}/29`, 'dev', 'eth0'] });
  });

  it('the only address cannot be removed; an address of another VE or none is not-found', { timeout: 60_000 }, async () => {
    const [only] = await nodeIps();
    await expect(admin.ves.removeAddress({ id: ve.veId, address: only })).rejects.toMatchObject({ code: 'UNPROCESSABLE_CONTENT' });
    await expect(admin.ves.removeAddress({ id: ve.veId, address: `${EXTRA_NET}.5` })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await nodeIps()).toEqual([only]);
  });

  it('the billing API adds the next free IPv6 and removes it by its URL-encoded address', { timeout: 240_000 }, async () => {
    const add = await api('POST', `/ves/${ve.veId}/addresses`, { family: 6 });
    expect(add.status, JSON.stringify(add.json)).toBe(200);
    const v6 = add.json.address as string;
    expect(v6).toMatch(/^fd00:199:126::/);
    await done(add.json.taskId as string);
    expect(await nodeIps()).toContain(v6);
    const conf6 = await conf();
    expect(conf6).toContain(v6);
    const gone = await api('DELETE', `/ves/${ve.veId}/addresses/${encodeURIComponent(v6)}`);
    expect(gone.status, JSON.stringify(gone.json)).toBe(200);
    await done(gone.json.taskId as string);
    expect(await nodeIps()).not.toContain(v6);
    expect(await conf()).not.toContain(v6);
    expect(await boundTo(v6)).toBeNull();
    const bad = await api('POST', `/ves/${ve.veId}/addresses`, { family: 4, address: 'not-an-ip' });
    expect(bad.status).toBe(400);
  });
});

/** A fresh OpenSSH ed25519 public key line. */
function newKey(comment: string): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} ${comment}`;
}
const inVe = async (...command: string[]) => (await N.agent().call('ve.exec', { ctid: ve.ctid, command }));
const authorizedKeys = async () => (await inVe('cat', '/root/.ssh/authorized_keys')).stdout;

describe('SSH keys', () => {
  it('keys are added live by the admin and the owner, removed one line at a time, and written again after a reinstall', { timeout: 400_000 }, async () => {
    const k1 = newKey('admin@desk');
    const k2 = newKey('owner@laptop');
    const own = newKey('added-inside');
    const a1 = await admin.ves.addSshKey({ id: ve.veId, publicKey: k1 });
    expect(a1.key).toMatchObject({ type: 'ssh-ed25519', comment: 'admin@desk', fingerprint: expect.stringMatching(/^SHA256:/) });
    await done(a1.taskId);
    expect(await authorizedKeys()).toContain(k1);
    expect((await inVe('stat', '-c', '%a', '/root/.ssh/authorized_keys')).stdout.trim()).toBe('600');
    await expect(admin.ves.addSshKey({ id: ve.veId, publicKey: k1 })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(admin.ves.addSshKey({ id: ve.veId, publicKey: 'ssh-ed25519 not-base64!' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    // Root adds a key of their own inside the VE: the panel's edits leave it alone.
    await N.agent().call('ve.exec', { ctid: ve.ctid, script: `echo '${own}' >> /root/.ssh/authorized_keys` });
    const owner = await callerOf(users.owner);
    await done((await owner.portal.addSshKey({ id: ve.veId, publicKey: k2 })).taskId);
    expect((await owner.portal.sshKeys({ id: ve.veId })).map((k) => k.comment)).toEqual(['admin@desk', 'owner@laptop']);
    await expect((await callerOf(users.other)).portal.sshKeys({ id: ve.veId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const k1Id = (await admin.ves.sshKeys({ id: ve.veId })).find((k) => k.comment === 'admin@desk')!.id;
    await done((await admin.ves.removeSshKey({ id: ve.veId, keyId: k1Id })).taskId);
    const after = await authorizedKeys();
    expect(after).not.toContain(k1);
    expect(after).toContain(k2);
    expect(after).toContain(own);
    expect((await admin.ves.sshKeys({ id: ve.veId })).map((k) => k.comment)).toEqual(['owner@laptop']);

    // Reinstall lays a fresh filesystem; the panel's keys are written into it before the VE starts again.
    await done((await admin.ves.reinstall({ id: ve.veId, templateId: N.templateId })).taskId);
    expect(await N.lxcState(ve.ctid)).toBe('RUNNING');
    const fresh = await authorizedKeys();
    expect(fresh).toContain(k2);
    expect(fresh).not.toContain(k1);
    expect(fresh).not.toContain(own);
  });
});

describe('disk I/O limits', () => {
  it('iolimit and iopslimit set on the VE page land in the blkio throttle files of the running VE and in its config', { timeout: 180_000 }, async () => {
    const r = await admin.ves.setLimits({ id: ve.veId, overrides: { iolimit: 3, iopslimit: 75 } });
    expect(r.needsRestart).toEqual([]);
    await done(r.taskId!);
    const dev = await loopDevNumber(vePaths(N.tn.vzroot, ve.ctid).image);
    const cg = async (key: string) => (await sh('lxc-cgroup', ['-n', String(ve.ctid), '-P', vePaths(N.tn.vzroot, ve.ctid).lxcpath, key])).stdout.trim();
    if (hostFacts().version === 'v1') {
      expect(await cg('blkio.throttle.write_bps_device')).toBe(`${dev} 3000000`);
      expect(await cg('blkio.throttle.read_bps_device')).toBe(`${dev} 3000000`);
      expect(await cg('blkio.throttle.write_iops_device')).toBe(`${dev} 75`);
      expect(await cg('blkio.throttle.read_iops_device')).toBe(`${dev} 75`);
    } else {
      expect(await cg('io.max')).toBe(`${dev} rbps=3000000 wbps=3000000 riops=75 wiops=75`);
    }
    expect(await conf()).toMatch(/^IOPSLIMIT="?75"?$/m);
    expect((await admin.ves.get({ id: ve.veId })).limits).toMatchObject({ iolimit: 3, iopslimit: 75 });
    await done((await admin.ves.setLimits({ id: ve.veId, overrides: { iolimit: null, iopslimit: null } })).taskId!);
    if (hostFacts().version === 'v1') expect(await cg('blkio.throttle.write_iops_device')).toBe('');
  });
});
