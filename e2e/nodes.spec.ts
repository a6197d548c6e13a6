// The fleet from the browser: add a second node over SSH (a real sshd on 127.0.25.x), confirm its
// host key fingerprint, watch the bootstrap phases until it is online, put it in maintenance (the
// evacuation plan then says why not), evacuate a running VE onto it (dry-run table with the reason,
// live per-VE progress, result), see removal refused while it holds the VE, and remove it.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { test, expect, admin, login, call, visit } from './fixtures';
import { startTestSshd, type TestSshd, testKeyPair } from '../test/fixtures/sshd';
import { createTestAccount, type TestAccount } from '../test/fixtures/accounts';


let sshd: TestSshd | undefined;
let rootAlias: TestAccount | undefined;
const name = `nod-${randomBytes(3).toString('hex')}`;

test.afterAll(async () => {
  // The agent the bootstrap started directly (global teardown would kill it too, with the tmp dir).
  try { process.kill(Number(readFileSync(path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'nodes', name, 'opt', 'vzagentd.pid'), 'utf8')), 'SIGTERM'); } catch { /* not started */ }
  await sshd?.destroy();
  await rootAlias?.remove();
});

test('add a node through the UI, confirm its fingerprint, maintenance, evacuate a VE onto it, remove', async ({ page }) => {
  test.setTimeout(480_000);
  const key = testKeyPair('e2e admin');
  // The bootstrap makes the agent account; sshd finds its restricted key in that account's home.
  sshd = await startTestSshd({ host: `127.0.25.${randomInt(2, 250)}`, authorizedKeys: [key.public], moreAuthorizedKeysFiles: ['%h/.ssh/authorized_keys'] });
  rootAlias = await createTestAccount({ root: true }); // root's powers without the machine's own root dotfiles

  await login(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  await visit(page, '/admin/nodes');
  await expect(page.getByTestId('node-row-local')).toBeVisible();
  await page.getByTestId('add-node').click();

  await page.getByTestId('node-name').fill(name);
  await page.getByTestId('node-address').fill(sshd.host);
  await page.getByTestId('node-port').fill(String(sshd.port));
  await page.getByTestId('node-user').fill(rootAlias.name);
  await page.getByTestId('node-auth').selectOption('key');
  // Wait for the key's textarea: filling the password input still shown would drop the key's newlines.
  const secret = page.locator('textarea[data-testid="node-secret"]');
  await expect(secret).toBeVisible();
  await secret.fill(key.private);
  await page.getByTestId('fetch-host-key').click();
  // The fingerprint shown is the one sshd's own key has; nothing is trusted before the click below.
  await expect(page.getByTestId('host-key-fingerprint')).toHaveText(sshd.hostKeyFingerprint);
  expect(sshd.log()).not.toMatch(/Accepted publickey/);
  await page.getByTestId('confirm-host-key').click();

  const boot = page.getByTestId('bootstrap');
  await expect(boot.getByTestId('phase-connect')).toHaveAttribute('data-state', /running|done/, { timeout: 30_000 });
  await expect(boot).toHaveAttribute('data-status', 'succeeded', { timeout: 180_000 });
  for (const phase of ['connect', 'check-OS-and-kernel', 'copy-agent', 'agent-account', 'start-agent', 'verify-with-the-restricted-key', 'first-poll']) {
    await expect(boot.getByTestId(`phase-${phase}`)).toHaveAttribute('data-state', 'done');
  }
  await expect(page.getByTestId('bootstrap-done')).toBeVisible();

  await page.getByTestId('open-node').click();
  await expect(page).toHaveURL(new RegExp(`/admin/nodes/${name}$`));
  await expect(page.getByTestId('node-state')).toHaveText('online');
  await expect(page.getByTestId('pinned-fingerprint')).toHaveText(sshd.hostKeyFingerprint);
  await expect(page.getByTestId('capability-placement')).toHaveAttribute('data-on', 'true');

  // The panel has no template push to SSH nodes yet: put the local node's busybox template into the new node's cache, as vzpkg would.
  const logDir = process.env.VZ_E2E_LOG_DIR ?? '';
  const cache = path.join(logDir, 'nodes', name, 'vz', 'template', 'cache');
  mkdirSync(cache, { recursive: true });
  for (const f of ['busybox.tar.gz', 'busybox.json']) copyFileSync(path.join(logDir, 'vz', 'template', 'cache', f), path.join(cache, f));

  // A VE on the local node whose addresses both nodes serve: the evacuation plan of `local` sends it to the new node.
  const req = page.request;
  const nodes = await call<Array<{ id: string; name: string }>>(req, 'nodes.list', undefined, false);
  const local = nodes.find((n) => n.name === 'local')!;
  const added = nodes.find((n) => n.name === name)!;
  const id = randomBytes(3).toString('hex');
  const plan = await call<{ id: string }>(req, 'plans.create', { name: `nod-${id}`, ram: 64, diskspace: 128 });
  const net = 16 * (parseInt(id, 16) % 15); // a /28 inside this spec's 10.199.125.0/24
  await call(req, 'ipPools.create', { name: `nod-${id}`, cidr: `10.199.125.${net}/28`, gateway: `10.199.125.${net + 1}`, nameservers: [], nodeIds: [local.id, added.id] });
  // Other specs leave pools on local, and a create takes from any of them: the new node serves them all too.
  const pools = await call<Array<{ id: string; nodes: Array<{ id: string }> }>>(req, 'ipPools.list', undefined, false);
  for (const p of pools.filter((x) => x.nodes.some((n) => n.id === local.id) && !x.nodes.some((n) => n.id === added.id))) {
    await call(req, 'ipPools.update', { id: p.id, patch: { nodeIds: [...p.nodes.map((n) => n.id), added.id] } });
  }
  const created = await call<{ ve: { id: string; ctid: number } }>(req, 'ves.create', {
    planId: plan.id, template: 'busybox', nodeId: local.id, hostname: `nod-${id}.example.test`, password: 'root-pw-long-enough', ctid: 25_000 + (parseInt(id, 16) % 900),
  });
  const ve = created.ve;
  try {
    await visit(page, `/admin/ves/${ve.id}`);
    await expect(page.getByTestId('ve-state')).toHaveText('running', { timeout: 180_000 });

    // Maintenance with a reason: placement skips the node, and the evacuation plan says so.
    await visit(page, `/admin/nodes/${name}`);
    await page.getByTestId('maintenance-reason').fill('disk swap, ticket 4711');
    await page.getByTestId('maintenance-start').click();
    await expect(page.getByTestId('maintenance-on')).toContainText('disk swap, ticket 4711');
    await expect(page.getByTestId('capability-placement')).toHaveAttribute('data-on', 'false');
    await visit(page, '/admin/nodes/local');
    await page.getByTestId('evac-dry-run').click();
    await expect(page.getByTestId(`evac-plan-${ve.ctid}`)).toContainText(`${name}: in maintenance`);
    await visit(page, `/admin/nodes/${name}`);
    await page.getByTestId('maintenance-off').click();
    await expect(page.getByTestId('maintenance-start')).toBeVisible();

    // Out of maintenance the plan sends the VE to the new node, with the reason; only this VE is ticked, then it moves.
    await visit(page, '/admin/nodes/local');
    await page.getByTestId('evac-dry-run').click();
    const row = page.getByTestId(`evac-plan-${ve.ctid}`);
    await expect(row).toContainText(name);
    await expect(row).toContainText(/most room left: \d+ MiB RAM/);
    for (const box of await page.locator('[data-testid^="evac-pick-"]').all()) {
      if ((await box.getAttribute('data-testid')) !== `evac-pick-${ve.ctid}`) await box.uncheck();
    }
    await page.getByTestId('evac-run').click();
    await page.getByTestId('evac-run-yes').click();
    const moving = page.getByTestId(`evac-row-${ve.ctid}`);
    await expect(moving).toBeVisible();
    await expect(moving).toHaveAttribute('data-status', 'succeeded', { timeout: 300_000 });
    await expect(page.getByTestId('evacuation-result')).toContainText('1 moved, 0 failed, 0 skipped');
    await expect(moving).toContainText(name);
    await expect(moving).toContainText(/\d+ ms/); // the pause the VE saw

    // The node now holds the VE: removal is refused with the list; once the VE is gone, it goes behind a confirm step.
    await visit(page, `/admin/nodes/${name}`);
    await expect(page.getByTestId('remove-blocked')).toContainText(String(ve.ctid));
    await expect(page.getByTestId('remove-node')).toBeDisabled();
    await call(req, 'ves.destroy', { id: ve.id, confirm: String(ve.ctid) });
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId('remove-node')).toBeEnabled({ timeout: 5_000 });
    }).toPass({ timeout: 120_000 });
    await page.getByTestId('remove-node').click();
    await expect(page.getByTestId('remove-node-confirm')).toContainText(`Remove ${name} from the panel?`);
    await page.getByTestId('remove-node-yes').click();
    await expect(page).toHaveURL(/\/admin\/nodes$/);
    await page.getByTestId('node-search').fill(name);
    await expect(page.getByText('No node matches these filters.')).toBeVisible();
  } finally {
    await req.post('/api/trpc/ves.destroy', { data: { id: ve.id, confirm: String(ve.ctid) } }).catch(() => undefined);
  }
});
