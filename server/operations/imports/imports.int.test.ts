// OpenVZ import through the panel on a real node: an OpenVZ host (a real sshd on 127.0.0.x, a
// synthetic OpenVZ 6 layout) added with its host key confirmed, its VEs listed, a dry run, the
// import task, and a VE the panel and its node agree on (no drift).
import { execFile } from 'node:child_process';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { adminCaller, uniq } from '@/test/fixtures/panel';
import { startTestSshd, type TestSshd } from '@/test/fixtures/sshd';
import { createTestAccount, type TestAccount } from '@/test/fixtures/accounts';
import { closeAll } from '@/server/nodes/pool';
import { startWorker, type PanelWorker } from '../worker';
import { reconcileNode } from '../reconciler';

const sh = promisify(execFile);
const MiB = 2 ** 20;
let db: TestDatabase;
let N: PanelTestNode;
let worker: PanelWorker;
let admin: Awaited<ReturnType<typeof adminCaller>>;
let sshd: TestSshd;
let account: TestAccount;
let dir: string;
const prevDataDir = process.env.VZPANEL_DATA_DIR;

beforeAll(async () => {
  dir = await mkdtemp('/tmp/vz-imp-panel-');
  process.env.VZPANEL_DATA_DIR = path.join(dir, 'panel'); // this run's own import key
  db = await createTestDatabase({ poolMax: 10 });
  N = await makePanelTestNode(db.prisma);
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 2 });
  admin = await adminCaller(db.prisma);
  // The OpenVZ host's root: a uid-0 alias with /bin/sh (no test waits on this machine's root dotfiles).
  account = await createTestAccount({ root: true, shell: '/bin/sh' });
  sshd = await startTestSshd({ authorizedKeys: [(await admin.imports.importKey()).publicKey] });
});

afterAll(async () => {
  await worker?.stop();
  await closeAll();
  await sshd?.destroy();
  await account?.remove();
  await N?.cleanup();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (prevDataDir === undefined) delete process.env.VZPANEL_DATA_DIR;
  else process.env.VZPANEL_DATA_DIR = prevDataDir;
});

/** One OpenVZ VE on the "host": conf in <dir>/ovz/conf, simfs tree in <dir>/ovz/private/<ctid>. */
async function openvzVe(ctid: number, conf: string) {
  const priv = path.join(dir, 'ovz/private', String(ctid));
  await mkdir(priv, { recursive: true });
  await sh('tar', ['-xzpf', path.join(N.tn.vzroot, 'template/cache/busybox.tar.gz'), '--numeric-owner', '-C', priv]);
  await mkdir(path.join(priv, 'srv/www'), { recursive: true });
  await writeFile(path.join(priv, 'srv/www/index.html'), 'customer site\n');
  await chown(path.join(priv, 'srv/www/index.html'), 33, 33);
  await mkdir(path.join(dir, 'ovz/conf'), { recursive: true });
  await writeFile(path.join(dir, 'ovz/conf', `${ctid}.conf`), conf.replaceAll('@PRIVATE@', path.join(dir, 'ovz/private/$VEID')));
}

describe('OpenVZ import through the panel', () => {
  it('adds the host with its key confirmed, lists and dry-runs its VEs, imports one the panel and node then agree on', { timeout: 300_000 }, async () => {
    const pool = await db.prisma.ipPool.findUniqueOrThrow({ where: { id: N.poolId } });
    const net = pool.cidr.split('.').slice(0, 3).join('.');
    const ctid = N.ctidBase + 900;
    await openvzVe(ctid, `PHYSPAGES="0:24576"
SWAPPAGES="0:0"
DISKSPACE="262144:262144"
DISKINODES="65536:65536"
NUMPROC="100:100"
KMEMSIZE="14372700:14790164"
VE_PRIVATE="@PRIVATE@"
OSTEMPLATE="centos-6-x86_64"
IP_ADDRESS="${net}.200"
HOSTNAME="shop.example.com"
ONBOOT="yes"
`);
    await openvzVe(ctid + 1, `PHYSPAGES="0:24576"
VE_PRIVATE="@PRIVATE@"
IP_ADDRESS="10.199.254.9"
HOSTNAME="elsewhere.example.com"
`);

    const probe = await admin.imports.probeSource({ host: sshd.host, port: sshd.port });
    expect(probe.fingerprint).toBe(sshd.hostKeyFingerprint);
    expect(probe.importKey).toMatch(/^ssh-ed25519 \S+ vzpanel-import$/);
    const base = { name: uniq('ovz'), host: sshd.host, port: sshd.port, user: account.name, confDir: path.join(dir, 'ovz/conf') };
    await expect(admin.imports.addSource({ ...base, hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` })).rejects.toMatchObject({ code: 'CONFLICT' });
    const source = await admin.imports.addSource({ ...base, hostKeyFingerprint: probe.fingerprint });

    const ves = await admin.imports.listVes({ sourceId: source.id, nodeId: N.node.id });
    expect(ves.map((v) => [v.ctid, v.hostname, v.ctidTaken])).toEqual([[ctid, 'shop.example.com', false], [ctid + 1, 'elsewhere.example.com', false]]);

    const input = { sourceId: source.id, nodeId: N.node.id, sourceCtid: ctid, planId: N.planId };
    const dry = await admin.imports.plan(input);
    expect(dry).toMatchObject({ ctid, hostname: 'shop.example.com', problems: [], addresses: [{ address: `${net}.200`, pool: pool.name, ok: true }] });
    expect(dry.overrides).toMatchObject({ ram: 96, diskspace: 256, diskinodes: 65536, numproc: 100 });
    expect(dry.notCarried.map((n) => n.param)).toContain('KMEMSIZE');
    expect(await db.prisma.ve.count({ where: { ctid } })).toBe(0);

    const blocked = await admin.imports.plan({ ...input, sourceCtid: ctid + 1 });
    expect(blocked.problems).toContain('10.199.254.9 is in no IP pool: add it to a pool of node ' + N.node.name + ' first');
    await expect(admin.imports.run({ ...input, sourceCtid: ctid + 1 })).rejects.toThrow(/Cannot import: .*in no IP pool/);

    const { taskId, veId } = await admin.imports.run(input);
    const [t] = await waitTasksDone(db.prisma, [taskId], 240_000);
    expect(t.status, t.error ?? '').toBe('succeeded');
    const ve = await db.prisma.ve.findUniqueOrThrow({ where: { id: veId }, include: { ipAddresses: true, template: true } });
    expect(ve).toMatchObject({ ctid, state: 'running', hostname: 'shop.example.com', onboot: true, planId: N.planId });
    expect(ve.template).toMatchObject({ name: 'openvz-centos-6-x86_64', enabled: false });
    expect(ve.ipAddresses.map((a) => a.address)).toEqual([`${net}.200`]);
    const onNode = (await N.agent().call('ve.list', {})).ves.find((v) => v.ctid === ctid)!;
    expect(onNode).toMatchObject({ status: 'running', ram: 96 * MiB, diskspace: 256 * MiB, numproc: 100 });
    const out = await N.agent().call('ve.exec', { ctid, script: 'cat /srv/www/index.html; stat -c %u /srv/www/index.html' });
    expect(out.stdout).toBe('customer site\n33\n');
    // What the panel says about the imported VE is what its node has.
    const pass = await reconcileNode(db.prisma, N.node.id);
    expect(pass?.drift.find((d) => d.ctid === ctid)).toBeUndefined();
    const audit = await db.prisma.auditLog.findFirstOrThrow({ where: { action: 'imports.run', outcome: 'success' } });
    expect(audit.details).toMatchObject({ ctid, sourceCtid: ctid });

    // Again: the ctid is the imported VE's now.
    await expect(admin.imports.run(input)).rejects.toThrow(/CTID \d+ is already used/);
    await expect(admin.imports.removeSource({ id: source.id })).resolves.toEqual({ removed: true });
  });
});
