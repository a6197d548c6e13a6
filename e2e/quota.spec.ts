// The traffic quota in the browser: an admin edits a plan's ladder (a bad share is refused in the
// form, a good one saved), the admin VE page shows the ladder with a reset behind a confirm, and
// the VE's owner sees it on the portal without the reset.
import { randomBytes } from 'node:crypto';
import { test, expect, admin, login, call, visit } from './fixtures';

test('plan quota form, VE quota card with reset, and the owner\'s view', async ({ page, browser, baseURL }) => {
  test.setTimeout(420_000);
  const id = randomBytes(3).toString('hex');
  await login(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  const req = page.request;
  const name = `qa-${id}`;
  const plan = await call<{ id: string }>(req, 'plans.create', { name, ram: 64, diskspace: 256 });

  await visit(page, '/admin/plans');
  await page.getByTestId(`plan-quota-${name}`).click();
  const dialog = page.getByTestId('plan-quota-dialog');
  await expect(dialog.getByTestId('quota-warn')).toHaveValue('80');
  await dialog.getByTestId('quota-mb').fill('1');
  await dialog.getByTestId('quota-warn').fill('0');
  await dialog.getByTestId('quota-save').click();
  await expect(dialog).toContainText('a whole percentage, 1-100');
  await dialog.getByTestId('quota-warn').fill('50');
  await dialog.getByTestId('quota-throttle-rate').fill('64');
  await dialog.getByTestId('quota-suspend').fill('40');
  await dialog.getByTestId('quota-save').click();
  await expect(dialog).toContainText('must be above the warning share');
  await dialog.getByTestId('quota-suspend').fill('200');
  await dialog.getByTestId('quota-save').click();
  await expect(dialog.getByTestId('plan-quota-saved')).toBeVisible();
  expect(await call(req, 'usage.policy', { planId: plan.id }, false)).toEqual({ anchorDay: null, trafficQuota: 1_000_000, warnPct: 50, throttleRate: 64_000, suspendPct: 200 });

  const nodes = await call<Array<{ id: string; name: string }>>(req, 'nodes.list', undefined, false);
  const node = nodes.find((n) => n.name === 'local') ?? nodes[0];
  await call(req, 'ipPools.create', { name: `qa-${id}`, cidr: '10.199.71.0/28', gateway: '10.199.71.1', nameservers: [], nodeIds: [node.id] });
  const email = `qa-${id}@example.test`;
  const password = 'quota-customer-pw-1';
  const customer = await call<{ customer: { id: string } }>(req, 'customers.create', { email, password });
  const { ve } = await call<{ ve: { id: string; ctid: number } }>(req, 'ves.create', {
    planId: plan.id, template: 'busybox', nodeId: node.id, hostname: `qa-${id}.example.test`, password: 'root-pw-long-enough',
    ctid: 71_500 + (parseInt(id, 16) % 400), ownerId: customer.customer.id,
  });
  try {
    await visit(page, `/admin/ves/${ve.id}`);
    await expect(page.getByTestId('ve-state')).toHaveText('running', { timeout: 180_000 });
    const card = page.getByTestId('ve-quota');
    await expect(card.getByTestId('quota-used')).toContainText('of 1.00 MB used', { timeout: 60_000 });
    await expect(card).toContainText('network cut at 200 %');
    let asked = '';
    page.once('dialog', (d) => { asked = d.message(); void d.accept(); });
    await card.getByTestId('quota-reset').click();
    await expect.poll(() => asked).toContain('Reset the traffic quota');
    await expect(card).not.toContainText('throttled');

    const ctx = await browser.newContext({ baseURL });
    try {
      const cp = await ctx.newPage();
      await login(cp, email, password);
      await expect(cp).toHaveURL(/\/portal$/);
      await visit(cp, `/portal/ves/${ve.id}`);
      await expect(cp.getByTestId('ve-quota').getByTestId('quota-used')).toContainText('of 1.00 MB used', { timeout: 60_000 });
      await expect(cp.getByTestId('quota-reset')).toHaveCount(0);
    } finally {
      await ctx.close();
    }
  } finally {
    await req.post('/api/trpc/ves.destroy', { data: { id: ve.id, confirm: String(ve.ctid) } }).catch(() => undefined);
  }
});
