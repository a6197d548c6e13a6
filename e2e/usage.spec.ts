// Usage graphs in the browser: a VE that burns CPU, writes to disk and is OOM-killed shows uPlot
// graphs with data on the admin VE page, the node page and its owner's portal page, and the
// timeline says in plain words which process the kernel killed.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { test, expect, admin, login, call, visit } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '..');
const vzroot = () => path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'vz');

const vzctl = (...args: string[]) => execFileSync(path.join(ROOT, 'agents/bin/vzctl'), ['--vzroot', vzroot(), ...args], { encoding: 'utf8', timeout: 60_000 });

/** login(), again when Chromium drops the navigation because a veth appeared on the host (other tests' VEs). */
async function loginRetry(page: Page, email: string, password: string) {
  for (let i = 0; ; i++) {
    try {
      return await login(page, email, password);
    } catch (err) {
      if (i >= 2 || !/ERR_NETWORK_CHANGED/.test(String(err))) throw err;
    }
  }
}

/** Every usage chart has points and a drawn uPlot canvas. */
async function expectCharts(page: Page) {
  for (const c of ['cpu', 'memory', 'disk', 'network', 'disk-i-o']) {
    const chart = page.getByTestId(`usage-chart-${c}`);
    await expect(chart).toBeVisible({ timeout: 90_000 });
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
    await expect(chart.locator('canvas')).toHaveCount(1);
  }
}

test('usage graphs and the limits timeline render with data for admin, node and owner', async ({ page, browser, baseURL }) => {
  test.setTimeout(420_000);
  const id = randomBytes(3).toString('hex');
  await loginRetry(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  const req = page.request;
  const nodes = await call<Array<{ id: string; name: string }>>(req, 'nodes.list', undefined, false);
  const node = nodes.find((n) => n.name === 'local') ?? nodes[0];
  const plan = await call<{ id: string }>(req, 'plans.create', { name: `use-${id}`, ram: 64, diskspace: 256 });
  await call(req, 'ipPools.create', { name: `use-${id}`, cidr: '10.199.123.0/28', gateway: '10.199.123.1', nameservers: [], nodeIds: [node.id] });
  const email = `use-${id}@example.test`;
  const password = 'usage-customer-pw-1';
  const customer = await call<{ customer: { id: string } }>(req, 'customers.create', { email, password });
  const created = await call<{ ve: { id: string; ctid: number } }>(req, 'ves.create', {
    planId: plan.id, template: 'busybox', nodeId: node.id, hostname: `use-${id}.example.test`, password: 'root-pw-long-enough',
    ctid: 23_900 + (parseInt(id, 16) % 100), ownerId: customer.customer.id,
  });
  const ve = created.ve;
  try {
    await visit(page, `/admin/ves/${ve.id}`);
    await expect(page.getByTestId('ve-state')).toHaveText('running', { timeout: 180_000 });
    const ct = String(ve.ctid);
    vzctl('exec', ct, 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; dd if=/dev/zero of=/big bs=1M count=8 conv=fsync 2>/dev/null; rm -f /big');
    // 64 MiB of RAM and no swap: a 128 MiB buffer gets dd killed by the kernel.
    try { vzctl('exec', ct, 'dd if=/dev/zero of=/dev/null bs=128M count=1'); } catch { /* killed: expected */ }

    await page.getByTestId('usage-range-1h').click();
    await expectCharts(page);
    await expect(page.getByTestId('usage-graphs')).toContainText('every 10 s');
    await expect(page.getByTestId('usage-event-oom_kill')).toContainText('Out of memory: the kernel killed a process (dd)', { timeout: 90_000 });
    for (const r of ['24h', '7d', '30d']) {
      await page.getByTestId(`usage-range-${r}`).click();
      await expect(page.getByTestId('usage-chart-cpu')).toBeVisible();
    }
    await expect(page.getByTestId('usage-graphs')).toContainText('hourly averages');

    await visit(page, `/admin/nodes/${encodeURIComponent(node.name)}`);
    await expectCharts(page);

    const ctx = await browser.newContext({ baseURL });
    try {
      const cp = await ctx.newPage();
      await loginRetry(cp, email, password);
      await expect(cp).toHaveURL(/\/portal$/);
      await visit(cp, `/portal/ves/${ve.id}`);
      await expectCharts(cp);
      await expect(cp.getByTestId('usage-event-oom_kill')).toContainText('(dd)');
    } finally {
      await ctx.close();
    }
  } finally {
    await req.post('/api/trpc/ves.destroy', { data: { id: ve.id, confirm: String(ve.ctid) } }).catch(() => undefined);
  }
});
