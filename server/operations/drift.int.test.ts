// Per-field drift on a real node: change a VE behind the panel's back with the node's own vzctl,
// run one reconcile pass, see each field in the panel, then repair it both ways.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { adminCaller, uniq } from '@/test/fixtures/panel';
import { closeAll } from '@/server/nodes/pool';
import { startWorker, type PanelWorker } from './worker';
import { reconcileNode } from './reconciler';

const sh = promisify(execFile);
const repo = path.resolve(__dirname, '../..');
const MiB = 2 ** 20;
let db: TestDatabase;
let N: PanelTestNode;
let worker: PanelWorker;
let admin: Awaited<ReturnType<typeof adminCaller>>;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  N = await makePanelTestNode(db.prisma);
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 2 });
  admin = await adminCaller(db.prisma);
});
afterAll(async () => {
  await worker?.stop();
  await closeAll();
  await N?.cleanup();
  await db?.drop();
});

/** The node admin's vzctl against this test node's daemon. */
async function vzctl(...args: string[]) {
  const r = await sh(path.join(repo, 'agents/bin/vzctl'), ['--socket', N.daemon.socket, '--vzroot', N.tn.vzroot, ...args]).catch((e: { code: number; stderr: string }) => e);
  expect('code' in r && r.code ? `vzctl ${args.join(' ')}: ${r.stderr}` : '').toBe('');
}

const onNode = async (ctid: number) => (await N.agent().call('ve.list', {})).ves.find((v) => v.ctid === ctid)!;
const row = (id: string) => db.prisma.ve.findUniqueOrThrow({ where: { id }, include: { ipAddresses: true, template: true } });
const cycle = async () => (await reconcileNode(db.prisma, N.node.id))!;

async function push(id: string, field: Parameters<typeof admin.ves.driftPush>[0]['field']) {
  const { taskId } = await admin.ves.driftPush({ id, field });
  const [t] = await waitTasksDone(db.prisma, [taskId]);
  expect(t.status, t.error ?? '').toBe('succeeded');
}

describe('panel and node agree on every field', () => {
  it('vzctl changes show per field after one pass; "take" writes the row (audited), "push" puts the panel value back on the node', { timeout: 300_000 }, async () => {
    const ve = await N.createVe({ hostname: 'drift-orig.test' });
    const [created] = await waitTasksDone(db.prisma, [ve.taskId]);
    expect(created.status, created.error ?? '').toBe('succeeded');
    expect((await cycle()).drift.find((d) => d.ctid === ve.ctid)).toBeUndefined();
    const spare = (await db.prisma.ipAddress.findFirstOrThrow({ where: { poolId: N.poolId, veId: null, reserved: false }, orderBy: { address: 'desc' } })).address;
    const tpl = await db.prisma.template.create({ data: { name: uniq('drift-tpl'), os: 'busybox', version: '2', arch: 'x86_64', sizeBytes: 1n, sha256: '1'.repeat(64) } });

    // Behind the panel's back: identity, DNS, onboot, limits, an extra address, and the template line of the conf.
    await vzctl('set', String(ve.ctid), '--hostname', 'drift-node.test', '--onboot', 'no', '--nameserver', '10.199.77.53', '--ram', '96M',
      '--cpuunits', '2000', '--numproc', '80:80', '--diskspace', '96M', '--ipadd', `${spare}/24`,
      '--swap', '32M', '--cpulimit', '50', '--cpus', '2', '--ioprio', '6', '--iolimit', '20000000B', '--save');
    const conf = path.join(N.tn.vzroot, 'conf', `${ve.ctid}.conf`);
    await writeFile(conf, (await readFile(conf, 'utf8')).replace(/^OSTEMPLATE=.*$/m, `OSTEMPLATE="${tpl.name}"`).replace(/^DISKINODES=.*$/m, 'DISKINODES="9000:9000"'));

    // A queued task on the VE may be the change the node has not confirmed yet: not drift.
    const pending = await db.prisma.task.create({ data: { type: 've.set', params: {}, veId: ve.veId, ctid: ve.ctid, nodeId: N.node.id } });
    const held = await cycle();
    expect(held.skipped).toContain(ve.ctid);
    expect((await row(ve.veId)).drift).toEqual({});
    await db.prisma.task.delete({ where: { id: pending.id } });

    const pass = await cycle();
    const fields = ['hostname', 'ips', 'nameservers', 'onboot', 'template', 'ram', 'diskspace', 'cpuunits', 'numproc', 'swap', 'cpulimit', 'cpus', 'ioprio', 'iolimit', 'diskinodes'];
    expect(pass.drift.find((d) => d.ctid === ve.ctid)?.fields.sort()).toEqual([...fields].sort());
    const shown = await admin.ves.drift({ id: ve.veId });
    const by = Object.fromEntries(shown.fields.map((f) => [f.field, f]));
    expect(by.hostname).toMatchObject({ panel: 'drift-orig.test', node: 'drift-node.test', canPush: true });
    expect(by.onboot).toMatchObject({ panel: true, node: false });
    expect(by.nameservers).toMatchObject({ panel: [], node: ['10.199.77.53'] });
    expect(by.ram).toMatchObject({ panel: 64, node: 96 });
    expect(by.diskspace).toMatchObject({ panel: 64, node: 96 });
    expect(by.cpuunits).toMatchObject({ panel: 1000, node: 2000 });
    expect(by.numproc).toMatchObject({ panel: 64, node: 80 });
    expect([by.swap, by.cpulimit, by.cpus, by.ioprio, by.iolimit]).toMatchObject([
      { panel: 0, node: 32 }, { panel: 0, node: 50 }, { panel: 1, node: 2 }, { panel: 4, node: 6 }, { panel: 0, node: 20 },
    ]);
    expect(by.ips).toMatchObject({ panel: ve.addresses, node: [...ve.addresses, spare].sort() });
    expect(by.template).toMatchObject({ panel: 'busybox', node: tpl.name, canPush: false });
    expect(by.diskinodes).toMatchObject({ panel: 8192, node: 9000, canPush: false });
    const stats = await admin.ves.stats();
    expect(stats.drift.count).toBeGreaterThanOrEqual(1);
    expect(stats.drift.ves.find((v) => v.id === ve.veId)?.fields.sort()).toEqual([...fields].sort());

    // Only a reinstall changes these on the node: push is refused with the reason, nothing queued.
    await expect(admin.ves.driftPush({ id: ve.veId, field: 'template' })).rejects.toMatchObject({ code: 'UNPROCESSABLE_CONTENT', message: expect.stringMatching(/reinstall/) });
    await expect(admin.ves.driftPush({ id: ve.veId, field: 'diskinodes' })).rejects.toMatchObject({ code: 'UNPROCESSABLE_CONTENT', message: expect.stringMatching(/fixed when the filesystem is made/) });
    expect(await db.prisma.task.count({ where: { veId: ve.veId, status: 'queued' } })).toBe(0);

    // Take the node's value: the row changes, the audit log says from what to what.
    for (const field of ['hostname', 'nameservers', 'ram', 'diskspace', 'ips', 'template', 'swap', 'cpulimit', 'iolimit', 'diskinodes'] as const) await admin.ves.driftTake({ id: ve.veId, field });
    const taken = await row(ve.veId);
    expect(taken).toMatchObject({ hostname: 'drift-node.test', nameservers: ['10.199.77.53'], templateId: tpl.id });
    expect(taken.limits).toMatchObject({ ram: 96, diskspace: 96, swap: 32, cpulimit: 50, iolimit: 20 });
    expect(taken.overrides).toMatchObject({ ram: 96, diskspace: 96, swap: 32, cpulimit: 50, iolimit: 20 });
    expect(taken.ipAddresses.map((a) => a.address).sort()).toEqual([...ve.addresses, spare].sort());
    const audit = await db.prisma.auditLog.findFirstOrThrow({ where: { action: 'ves.driftTake', targetId: ve.veId, details: { path: ['field'], equals: 'hostname' } } });
    expect(audit).toMatchObject({ outcome: 'success', details: { field: 'hostname', from: 'drift-orig.test', to: 'drift-node.test' } });
    expect(taken.limits).toMatchObject({ diskinodes: 9000 });

    // Push the panel's value: a ve.set task, after which the node has it again.
    for (const field of ['onboot', 'cpuunits', 'numproc', 'cpus', 'ioprio'] as const) await push(ve.veId, field);
    const back = await onNode(ve.ctid);
    expect({ onboot: back.onboot, cpuunits: back.cpuunits, numproc: back.numproc, cpus: back.cpus, ioprio: back.ioprio })
      .toEqual({ onboot: true, cpuunits: 1000, numproc: 64, cpus: 1, ioprio: 4 });
    expect((await row(ve.veId)).drift).toEqual({});
    expect((await cycle()).drift.find((d) => d.ctid === ve.ctid)).toBeUndefined();

    // A second round on the same VE: the other direction for hostname, addresses, ram; take onboot.
    await vzctl('set', String(ve.ctid), '--hostname', 'drift-again.test', '--ipdel', spare, '--ram', '128M', '--onboot', 'no', '--save');
    expect((await cycle()).drift.find((d) => d.ctid === ve.ctid)?.fields.sort()).toEqual(['hostname', 'ips', 'onboot', 'ram']);
    for (const field of ['hostname', 'ips', 'ram'] as const) await push(ve.veId, field);
    await admin.ves.driftTake({ id: ve.veId, field: 'onboot' });
    const n2 = await onNode(ve.ctid);
    expect({ hostname: n2.hostname, ips: n2.ips.map((a) => a.split('/')[0]).sort(), ram: n2.ram / MiB, onboot: n2.onboot })
      .toEqual({ hostname: 'drift-node.test', ips: [...ve.addresses, spare].sort(), ram: 96, onboot: false });
    expect((await row(ve.veId)).onboot).toBe(false);
    const last = await cycle();
    expect(last.drift.find((d) => d.ctid === ve.ctid)).toBeUndefined();
    expect((await row(ve.veId)).drift).toEqual({});
    expect((await admin.ves.drift({ id: ve.veId })).fields).toEqual([]);
  });

  it('a power state changed on the node is shown at once, kept as drift until taken or pushed, and gone when the node is back', { timeout: 300_000 }, async () => {
    const ve = await N.createVe({ hostname: 'drift-power.test' });
    const [created] = await waitTasksDone(db.prisma, [ve.taskId]);
    expect(created.status, created.error ?? '').toBe('succeeded');
    expect((await row(ve.veId)).state).toBe('running');
    const stateOf = async () => (await admin.ves.drift({ id: ve.veId })).fields.find((f) => f.field === 'state');

    // Stopped behind the panel's back: the panel says so at once, and asks.
    await vzctl('stop', String(ve.ctid), '--fast');
    const pass = await cycle();
    expect(pass.corrected).toContainEqual({ ctid: ve.ctid, from: 'running', to: 'stopped' });
    expect((await row(ve.veId)).state).toBe('stopped');
    expect(await stateOf()).toMatchObject({ panel: 'running', node: 'stopped', canPush: true });
    // Still open on the next pass (the row now says stopped, but nobody decided).
    await cycle();
    expect(await stateOf()).toMatchObject({ panel: 'running', node: 'stopped' });
    // Started again on the node: back where the panel had it, nothing left to decide.
    await vzctl('start', String(ve.ctid));
    await cycle();
    expect((await row(ve.veId)).state).toBe('running');
    expect(await stateOf()).toBeUndefined();

    // Take: the node's stopped state is accepted, the question closes, the VE stays stopped.
    await vzctl('stop', String(ve.ctid), '--fast');
    await cycle();
    await admin.ves.driftTake({ id: ve.veId, field: 'state' });
    expect(await stateOf()).toBeUndefined();
    await cycle();
    expect(await stateOf()).toBeUndefined();
    expect({ panel: (await row(ve.veId)).state, node: (await onNode(ve.ctid)).status }).toEqual({ panel: 'stopped', node: 'stopped' });

    // Push: started on the node behind the panel's back, pushed back to stopped by a stop task.
    await vzctl('start', String(ve.ctid));
    await cycle();
    expect(await stateOf()).toMatchObject({ panel: 'stopped', node: 'running' });
    await push(ve.veId, 'state');
    expect((await onNode(ve.ctid)).status).toBe('stopped');
    expect((await row(ve.veId)).state).toBe('stopped');
    expect(await stateOf()).toBeUndefined();
    await cycle();
    expect(await stateOf()).toBeUndefined();
  });
});
