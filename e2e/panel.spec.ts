// The panel as its two audiences use it, against the real stack (panel, embedded Postgres, local
// agent, LXC): an admin creates a customer, a plan, an address pool and a VE through the wizard,
// watches the create task finish, changes the RAM live (console: `free -m` before and after, when
// the console page exists); the customer signs in, restarts their VE, is kept out of /admin, and
// gets "not found" for another customer's VE.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { test, expect, admin, login, visit, freeOctet } from './fixtures';

const rand = () => randomBytes(3).toString('hex');
const TASK_TIMEOUT = 180_000;

async function trpcQuery<T>(req: APIRequestContext, proc: string, input: unknown): Promise<T> {
  const res = await req.get(`/api/trpc/${proc}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);
  expect(res.ok(), `${proc}: ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

async function trpcMutation<T>(req: APIRequestContext, proc: string, input: unknown): Promise<T> {
  const res = await req.post(`/api/trpc/${proc}`, { data: input });
  expect(res.ok(), `${proc}: ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

async function waitTask(req: APIRequestContext, id: string): Promise<string> {
  for (const end = Date.now() + TASK_TIMEOUT; Date.now() < end; await new Promise((r) => setTimeout(r, 1000))) {
    const t = await trpcQuery<{ status: string; error: string | null }>(req, 'tasks.get', { id });
    if (['succeeded', 'failed', 'cancelled'].includes(t.status)) return t.status;
  }
  return 'timeout';
}

/** Selects the option whose text contains `text`. */
async function pick(select: Locator, text: string) {
  const value = await select.locator('option', { hasText: text }).first().getAttribute('value');
  expect(value, `an option containing "${text}"`).toBeTruthy();
  await select.selectOption(value!);
}

const ROOT = path.resolve(import.meta.dirname, '..');

/** `free -m` inside the VE by the node's own vzctl (independent of the panel UI); /usr/bin/free reads the LXCFS meminfo, as a login shell does. */
function freeInVe(ctid: number): string {
  const vzroot = path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'vz');
  return execFileSync(path.join(ROOT, 'agents/bin/vzctl'), ['--vzroot', vzroot, 'exec', String(ctid), '/usr/bin/free', '-m'], { encoding: 'utf8', timeout: 30_000 });
}

/** Types a command into the VE console and waits until the terminal shows `expected`. */
async function consoleRun(page: Page, command: string, expected: RegExp) {
  const term = page.locator('.xterm');
  await expect(term).toBeVisible({ timeout: 30_000 });
  await term.click();
  await page.keyboard.type(`${command}\n`);
  await expect(page.locator('.xterm-rows')).toContainText(expected, { timeout: 30_000 });
}

test('admin builds a VE through the wizard and resizes it live; the customer restarts it and sees only their own', async ({ page, browser, baseURL }) => {
  test.setTimeout(600_000);
  const id = rand();
  const custA = { email: `alice-${id}@example.test`, name: `Alice ${id}`, password: `alice-pw-${id}-long` };
  const custB = { email: `bob-${id}@example.test`, name: `Bob ${id}`, password: `bob-pw-${id}-long` };
  const planName = `e2e-${id}`;
  const hostname = `web-${id}.example.test`;
  const created: Array<{ id: string; ctid: number }> = [];

  await login(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  try {
    await test.step('customers', async () => {
      await visit(page, '/admin/customers');
      for (const c of [custA, custB]) {
        await page.getByTestId('customer-email').fill(c.email);
        await page.getByTestId('customer-name').fill(c.name);
        await page.getByTestId('customer-password-input').fill(c.password);
        await page.getByTestId('customer-create').click();
        await expect(page.getByTestId('customer-created')).toContainText(c.email);
        await expect(page.getByTestId(`customer-row-${c.email}`)).toBeVisible();
      }
    });

    await test.step('plan and address pool', async () => {
      await visit(page, '/admin/plans');
      await page.getByTestId('plan-name').fill(planName);
      await page.getByTestId('plan-ram').fill('256');
      await page.getByTestId('plan-diskspace').fill('1024');
      await page.getByTestId('plan-create').click();
      await expect(page.getByTestId(`plan-row-${planName}`)).toContainText('256 MiB');

      await visit(page, '/admin/ip-pools');
      await expect(page.getByRole('heading', { name: 'IP pools' })).toBeVisible();
      const octet = await freeOctet(page.request, id);
      await page.getByTestId('pool-name').fill(`e2e-${id}`);
      await page.getByTestId('pool-cidr').fill(`10.199.${octet}.0/28`);
      await page.getByTestId('pool-gateway').fill(`10.199.${octet}.1`);
      await page.getByTestId('pool-node-local').check();
      await page.getByTestId('pool-create').click();
      await expect(page.getByTestId('pool-created')).toContainText('13 free addresses');
    });

    await test.step('create-VE wizard, task followed live', async () => {
      await visit(page, '/admin/ves/new');
      await pick(page.getByTestId('wizard-customer'), custA.email);
      await page.getByTestId('wizard-next').click();
      await pick(page.getByTestId('wizard-plan'), planName);
      await page.getByTestId('wizard-next').click();
      await pick(page.getByTestId('wizard-template'), 'busybox');
      await page.getByTestId('wizard-next').click();
      await pick(page.getByTestId('wizard-node'), 'local');
      await page.getByTestId('wizard-next').click();
      await page.getByTestId('wizard-hostname').fill(hostname);
      await page.getByTestId('wizard-password').fill('root-pw-long-enough');
      await page.getByTestId('wizard-next').click();
      await expect(page.getByTestId('wizard-review')).toContainText(custA.email);
      await page.getByTestId('wizard-create').click();
      const task = page.getByTestId('task');
      await expect(task).toHaveAttribute('data-status', 'running', { timeout: 30_000 }).catch(() => undefined);
      await expect(task).toHaveAttribute('data-status', 'succeeded', { timeout: TASK_TIMEOUT });
      await expect(task.getByTestId('task-percent')).toHaveText('100%');
      await page.getByTestId('open-created-ve').click();
      await expect(page.getByTestId('ve-hostname')).toHaveText(hostname);
      await expect(page.getByTestId('ve-state')).toHaveText('running');
      const veId = page.url().split('/').pop()!;
      created.push({ id: veId, ctid: Number(await page.getByTestId('ve-ctid').textContent()) });
    });
    const veA = created[0];

    expect(freeInVe(veA.ctid)).toMatch(/Mem:\s+256\b/);
    await test.step('console shows the plan RAM', async () => {
      await visit(page, `/admin/ves/${veA.id}/console`);
      await consoleRun(page, 'free -m', /Mem:\s+256\b/);
    });

    await test.step('RAM changed live, nothing needs a restart', async () => {
      await visit(page, `/admin/ves/${veA.id}`);
      await page.getByTestId('limit-ram').fill('384');
      await page.getByTestId('limits-apply').click();
      await expect(page.getByTestId('limits-result')).toContainText('ram 256 → 384');
      await expect(page.getByTestId('limits-result')).toContainText('Nothing needs a restart');
      await expect(page.getByTestId('task').first()).toHaveAttribute('data-status', 'succeeded', { timeout: TASK_TIMEOUT });
      await expect(page.getByTestId('ve-ram')).toHaveText('384 MiB');
      await expect(page.getByTestId('ve-state')).toHaveText('running');
      // The node really changed it, live: the VE's own free -m reports the new total.
      expect(freeInVe(veA.ctid)).toMatch(/Mem:\s+384\b/);
      await visit(page, `/admin/ves/${veA.id}/console`);
      await consoleRun(page, 'free -m', /Mem:\s+384\b/);
    });

    await test.step('reinstall keeps the CTID and the live-changed limits', async () => {
      await visit(page, `/admin/ves/${veA.id}`);
      const form = page.getByTestId('reinstall-form');
      await pick(form.getByRole('combobox'), 'busybox');
      await form.getByRole('checkbox').check();
      await form.getByRole('button', { name: 'Reinstall' }).click();
      const task = page.getByTestId('task').first();
      await expect(task).toContainText('ve.reinstall');
      await expect(task).toHaveAttribute('data-status', 'succeeded', { timeout: TASK_TIMEOUT });
      await expect(page.getByTestId('ve-state')).toHaveText('running');
      expect(freeInVe(veA.ctid)).toMatch(/Mem:\s+384\b/);
    });

    // Customer B's VE, made over tRPC like the wizard does, only to be the URL A must not reach.
    const veB = await test.step("another customer's VE", async () => {
      const [plans, templates, customers] = await Promise.all([
        trpcQuery<Array<{ id: string; name: string }>>(page.request, 'plans.list', undefined),
        trpcQuery<Array<{ id: string; name: string }>>(page.request, 'templates.list', undefined),
        trpcQuery<{ items: Array<{ id: string; email: string }> }>(page.request, 'customers.list', { q: custB.email }),
      ]);
      const r = await trpcMutation<{ ve: { id: string; ctid: number }; taskId: string }>(page.request, 'ves.create', {
        hostname: `other-${id}.example.test`, planId: plans.find((p) => p.name === planName)!.id, templateId: templates.find((t) => t.name === 'busybox')!.id,
        ownerId: customers.items[0].id, password: 'another-long-pw',
      });
      created.push(r.ve);
      expect(await waitTask(page.request, r.taskId)).toBe('succeeded');
      return r.ve;
    });

    await test.step('the customer restarts their VE, cannot reach /admin, and gets "not found" for the other VE', async () => {
      const ctx = await browser.newContext({ baseURL, ignoreHTTPSErrors: true });
      const cp = await ctx.newPage();
      try {
        await login(cp, custA.email, custA.password);
        await expect(cp).toHaveURL(/\/portal$/);
        const row = cp.getByTestId(`my-ve-${veA.ctid}`);
        await expect(row).toContainText(hostname);
        await expect(cp.getByTestId(`my-ve-${veB.ctid}`)).toHaveCount(0);
        await row.getByRole('link', { name: hostname }).click();
        await expect(cp.getByTestId('ve-hostname')).toHaveText(hostname);
        await expect(cp.getByTestId('ve-ram')).toHaveText('384 MiB');
        await cp.getByTestId('power-restart').click();
        const task = cp.getByTestId('task');
        await expect(task).toContainText('ve.restart');
        await expect(task).toHaveAttribute('data-status', 'succeeded', { timeout: TASK_TIMEOUT });
        await expect(cp.getByTestId('ve-state')).toHaveText('running');

        for (const p of ['/admin', '/admin/ves', `/admin/ves/${veA.id}`]) {
          await visit(cp, p);
          await expect(cp).toHaveURL(/\/portal$/);
        }
        const denied = await cp.request.get(`/api/trpc/ves.list?input=${encodeURIComponent('{}')}`);
        expect(denied.status()).toBe(403);

        await visit(cp, `/portal/ves/${veB.id}`);
        await expect(cp.getByTestId('ve-not-found')).toContainText('not found');
        await expect(cp.getByText(`other-${id}`)).toHaveCount(0);
      } finally {
        await ctx.close();
      }
    });
  } finally {
    // The VEs live on this machine's LXC: destroy them whatever happened above.
    for (const ve of created) {
      const r = await trpcMutation<{ taskId: string }>(page.request, 'ves.destroy', { id: ve.id, confirm: String(ve.ctid) }).catch(() => null);
      if (r) await waitTask(page.request, r.taskId);
    }
  }
});
