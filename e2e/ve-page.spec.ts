// The VE page in Chromium: autostart, an extra address added and removed, an SSH key, beancounters,
// and a running VE migrated to a second node through the Migrate dialog with the pause shown.
// The second node (vzagentd + sshd on 127.0.26.x + its own bridge) is set up here with the
// migration fixtures and registered in the panel's database directly: adding a node through the
// UI is another spec's business. The panel runs as `vzpanel`, so node B's agent socket is opened
// to that group, and B's SSH account (which migration copies log in as) joins it too.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes, randomInt, randomUUID, generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Page } from '@playwright/test';
import { test, expect, admin, login, call, visit } from './fixtures';
import { buildBusyboxTemplate } from '../agents/src/templates/busybox';
import { importTemplate } from '../agents/src/templates/cache';
import { ensureBridge } from '../agents/src/net/bridge';
import { ensureLocalDaemon } from '../server/nodes/local-daemon';
import { startTestSshd } from '../test/fixtures/sshd';
import { createTestAccount } from '../test/fixtures/accounts';
import { destroyMigNode, type MigTestNode } from '../test/fixtures/migration-nodes';

const sh = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const GiB = 2 ** 30;
const localVzroot = () => path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'vz');
const dataDir = () => path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'data');


/** The panel's own embedded Postgres (password beside it, port in postmaster.pid), as root. */
function panelDb(): pg.Client {
  const password = readFileSync(path.join(dataDir(), 'pg-password'), 'utf8').trim();
  const port = Number(readFileSync(path.join(dataDir(), 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[3]);
  return new pg.Client({ connectionString: `postgresql://vzpanel:${encodeURIComponent(password)}@127.0.0.1:${port}/vzpanel` });
}

/** Like makeMigNode, but the agent's socket is opened to the vzpanel group (see the top of this file). */
async function makeNodeB(run: string): Promise<MigTestNode> {
  const vzroot = mkdtempSync(`/tmp/veu-e2e-${run}-`);
  chmodSync(vzroot, 0o711);
  const tplDir = mkdtempSync(`/tmp/veu-e2e-tpl-${run}-`);
  try {
    const tpl = await buildBusyboxTemplate(tplDir);
    await importTemplate(vzroot, tpl.tarball, tpl.manifest);
  } finally {
    await rm(tplDir, { recursive: true, force: true });
  }
  const bridge = `vzveu${run.slice(0, 4)}`;
  await ensureBridge(bridge);
  const sshd = await startTestSshd({ host: `127.0.26.${randomInt(2, 250)}` });
  const account = await createTestAccount();
  // Migration copies log in as this account and reach the agent's socket, which the panel (vzpanel) reaches too.
  execFileSync('usermod', ['-a', '-G', 'vzpanel', account.name]);
  const socket = path.join(vzroot, 'run', 'vzagentd.sock');
  const daemon = await ensureLocalDaemon({
    vzroot, socket, bridge, group: 'vzpanel',
    env: { VZ_VE_NETWORKS: '10.199.0.0/16', VZ_MIGRATE_AUTHORIZED_KEYS: sshd.authorizedKeysPath },
  });
  return { name: `veu-b-${run}`, vzroot, lxcpath: path.join(vzroot, 'lxc'), bridge, socket, sshd, account, daemon };
}

/** page.goto again when Chromium aborts it with ERR_NETWORK_CHANGED (a VE's veth appeared on the host meanwhile). */
async function gotoSteady(page: Page, url: string) {
  for (let i = 0; ; i++) {
    try {
      await visit(page, url);
      return;
    } catch (e) {
      if (i >= 4 || !/ERR_NETWORK_CHANGED/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function sshKey(comment: string): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} ${comment}`;
}

const vzctl = (socket: string | null, vzroot: string, ...args: string[]) =>
  execFileSync(path.join(ROOT, 'agents/bin/vzctl'), [...(socket ? ['--socket', socket] : []), '--vzroot', vzroot, ...args], { encoding: 'utf8', timeout: 60_000 });

test('VE page: autostart, an extra address, an SSH key, beancounters, and a live migration with its pause', async ({ page }) => {
  test.setTimeout(900_000);
  const run = randomBytes(3).toString('hex');
  let B: MigTestNode | undefined;
  let nodeBId: string | undefined;
  let ve: { id: string; ctid: number } | undefined;
  const db = panelDb();
  await db.connect();
  await login(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  const req = page.request;
  try {
    B = await makeNodeB(run);
    nodeBId = randomUUID();
    const info = { cpus: 2, memory: { totalBytes: 16 * GiB, availableBytes: 16 * GiB }, disk: { path: B.vzroot, totalBytes: 100 * GiB, freeBytes: 100 * GiB }, load: [0, 0, 0], uptimeSeconds: 1, ves: { total: 0, running: 0 } };
    await db.query(
      `INSERT INTO "Node" (id, name, address, "sshPort", "sshUser", transport, vzroot, "hostKey", state, info, "lastSeenAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, 'local', $6, $7, 'online', $8, now(), now())`,
      [nodeBId, B.name, B.sshd.host, B.sshd.port, B.account.name, B.vzroot, B.sshd.hostPublicKey, JSON.stringify(info)],
    );
    const nodes = await call<Array<{ id: string; name: string }>>(req, 'nodes.list', undefined, false);
    const local = nodes.find((n) => n.name === 'local') ?? nodes.find((n) => n.id !== nodeBId)!;
    const plan = await call<{ id: string }>(req, 'plans.create', { name: `veu-${run}`, ram: 128, diskspace: 256 });
    await call(req, 'ipPools.create', { name: `veu-${run}`, cidr: '10.199.126.0/27', gateway: '10.199.126.1', nameservers: [], nodeIds: [local.id, nodeBId] });
    // Other specs leave pools on local, and a create takes from any of them: node B serves them all too.
    const pools = await call<Array<{ id: string; nodes: Array<{ id: string }> }>>(req, 'ipPools.list', undefined, false);
    for (const p of pools.filter((x) => x.nodes.some((n) => n.id === local.id) && !x.nodes.some((n) => n.id === nodeBId))) {
      await call(req, 'ipPools.update', { id: p.id, patch: { nodeIds: [...p.nodes.map((n) => n.id), nodeBId] } });
    }
    const created = await call<{ ve: { id: string; ctid: number } }>(req, 'ves.create', {
      planId: plan.id, template: 'busybox', nodeId: local.id, hostname: `veu-${run}.example.test`, password: 'root-pw-long-enough', ctid: 26000 + randomInt(0, 999),
    });
    ve = created.ve;
    const ctid = String(ve.ctid);

    await gotoSteady(page, `/admin/ves/${ve.id}`);
    await expect(page.getByTestId('ve-state')).toHaveText('running', { timeout: 180_000 });
    const task = page.getByTestId('task');

    // Autostart off: the VE's config on the node says so.
    await expect(page.getByTestId('onboot-state')).toHaveText('on');
    await page.getByTestId('onboot-toggle').click();
    await expect(task).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
    await expect(page.getByTestId('onboot-state')).toHaveText('off');
    expect(readFileSync(path.join(localVzroot(), 'conf', `${ctid}.conf`), 'utf8')).toMatch(/^ONBOOT="?no"?$/m);

    // An extra address, live in the VE; then removed after the confirm.
    const addresses = page.getByTestId('ve-addresses');
    await addresses.getByTestId('address-input').fill('10.199.126.20');
    await addresses.getByTestId('address-add').click();
    await expect(task).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
    await expect(addresses.getByTestId('address-10.199.126.20')).toBeVisible({ timeout: 15_000 });
    expect(vzctl(null, localVzroot(), 'exec', ctid, 'ip', '-4', 'addr', 'show', 'eth0')).toContain('10.199.126.20/27');
    await addresses.getByTestId('address-10.199.126.20').getByTestId('address-remove').click();
    await addresses.getByTestId('address-remove-confirm').click();
    await expect(task).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
    await expect(addresses.getByTestId('address-10.199.126.20')).toHaveCount(0, { timeout: 15_000 });
    expect(vzctl(null, localVzroot(), 'exec', ctid, 'ip', '-4', 'addr', 'show', 'eth0')).not.toContain('10.199.126.20');

    // An SSH key for root, in the VE at once.
    const key = sshKey(`veu-${run}@e2e`);
    const keys = page.getByTestId('ve-sshkeys');
    await expect(keys).toContainText('No SSH keys yet.');
    await keys.getByTestId('sshkey-input').fill(key);
    await keys.getByTestId('sshkey-add').click();
    await expect(task).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
    await expect(keys.getByTestId('sshkey-row')).toContainText(`veu-${run}@e2e`);
    expect(vzctl(null, localVzroot(), 'exec', ctid, 'cat', '/root/.ssh/authorized_keys')).toContain(key);

    // Beancounters of the running VE.
    const ubc = page.getByTestId('ve-beancounters');
    await expect(ubc.getByTestId('ubc-numproc')).toBeVisible();
    await expect(ubc.getByTestId('ubc-physpages')).toBeVisible();
    await expect(ubc.getByTestId('ubc-numproc-failcnt')).toHaveText(/^\d+$/);

    // Migrate to node B through the dialog: its checks pass, two-pass with CRIU's reason, then the pause.
    await page.getByTestId('open-migrate').click();
    const dialog = page.getByTestId('migrate-dialog');
    const target = dialog.getByTestId(`migrate-target-${B.name}`);
    await expect(target).toContainText('passed', { timeout: 60_000 });
    await target.getByRole('radio').check();
    await expect(dialog.getByTestId('migrate-mode')).toHaveText('two-pass');
    await expect(dialog.getByTestId('migrate-reason')).toContainText('CRIU');
    await expect(dialog.getByTestId('migrate-capabilities')).toContainText('CRIU');
    await dialog.getByTestId('migrate-start').click();
    await expect(dialog.getByTestId('task')).toHaveAttribute('data-status', 'succeeded', { timeout: 300_000 });
    await expect(dialog.getByTestId('migrate-pause')).toHaveText(/^\d+ ms$/);
    await dialog.getByTestId('migrate-close').click();
    await expect(page.getByText(`on ${B.name}`)).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId('ve-state')).toHaveText('running');
    expect((await sh('lxc-info', ['-n', ctid, '-P', B.lxcpath, '-sH'])).stdout.trim()).toBe('RUNNING');
    expect(vzctl(B.socket, B.vzroot, 'exec', ctid, 'cat', '/root/.ssh/authorized_keys')).toContain(key);
  } finally {
    if (ve) {
      await req.post('/api/trpc/ves.destroy', { data: { id: ve.id, confirm: String(ve.ctid) } }).catch(() => undefined);
      for (let i = 0; i < 120; i++) {
        const r = await db.query('SELECT 1 FROM "Ve" WHERE id = $1', [ve.id]).catch(() => ({ rowCount: 0 }));
        if (!r.rowCount) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    if (nodeBId) await db.query('DELETE FROM "Node" WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM "Ve" WHERE "nodeId" = $1)', [nodeBId]).catch(() => undefined);
    await db.end();
    await destroyMigNode(B);
  }
});
