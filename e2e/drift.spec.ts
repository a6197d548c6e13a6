// Drift in the browser: a hostname and the RAM changed with the node's own vzctl show up on the VE
// page within one reconciler pass (it runs every 60 s); "take" renames the VE in the panel, "push"
// puts the panel's RAM back on the node through a ve.set task.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { test, expect, admin, login, call, visit, createOwnPool } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '..');
const vzroot = () => path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'vz');


const vzctl = (...args: string[]) => execFileSync(path.join(ROOT, 'agents/bin/vzctl'), ['--vzroot', vzroot(), ...args], { encoding: 'utf8', timeout: 60_000 });

test('a change made with vzctl shows per field on the VE page; take and push repair it', async ({ page }) => {
  test.setTimeout(420_000);
  const id = randomBytes(3).toString('hex');
  await login(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  const req = page.request;
  const nodes = await call<Array<{ id: string; name: string }>>(req, 'nodes.list', undefined, false);
  const node = nodes.find((n) => n.name === 'local') ?? nodes[0];
  const plan = await call<{ id: string }>(req, 'plans.create', { name: `drift-${id}`, ram: 128, diskspace: 256 });
  await createOwnPool(req, `drift-${id}`, [node.id], id);
  const hostname = `drift-${id}.example.test`;
  // A ctid of its own (veth names are host-wide; other panels on this machine hand out the low ones).
  const created = await call<{ ve: { id: string; ctid: number }; taskId: string }>(req, 'ves.create', { planId: plan.id, template: 'busybox', nodeId: node.id, hostname, password: 'root-pw-long-enough', ctid: 7700 + (parseInt(id, 16) % 100) });
  const ve = created.ve;
  try {
    await visit(page, `/admin/ves/${ve.id}`);
    await expect(page.getByTestId('ve-state')).toHaveText('running', { timeout: 180_000 });

    vzctl('set', String(ve.ctid), '--hostname', `node-${id}.example.test`, '--ram', '160M', '--save');
    // The reconciler's own schedule (60 s) plus the page's 10 s refresh.
    const drift = page.getByTestId('ve-drift');
    await expect(drift).toBeVisible({ timeout: 80_000 });
    await expect(drift.getByTestId('drift-hostname').getByTestId('drift-node')).toHaveText(`node-${id}.example.test`);
    await expect(drift.getByTestId('drift-ram').getByTestId('drift-panel')).toHaveText('128 MiB');
    await expect(drift.getByTestId('drift-ram').getByTestId('drift-node')).toHaveText('160 MiB');

    await drift.getByTestId('drift-hostname').getByTestId('drift-take').click();
    await expect(drift.getByTestId('drift-hostname')).toHaveCount(0);
    await expect(page.getByTestId('ve-hostname')).toHaveText(`node-${id}.example.test`);

    await drift.getByTestId('drift-ram').getByTestId('drift-push').click();
    await expect(page.getByTestId('task')).toHaveAttribute('data-status', 'succeeded', { timeout: 120_000 });
    await expect(drift).toHaveCount(0, { timeout: 20_000 });
    expect(vzctl('exec', String(ve.ctid), '/usr/bin/free', '-m')).toMatch(/Mem:\s+128\b/);
  } finally {
    await req.post('/api/trpc/ves.destroy', { data: { id: ve.id, confirm: String(ve.ctid) } }).catch(() => undefined);
  }
});
