// The web console in Chromium against the real stack: the admin and the owning customer type into
// xterm and read the VE's answer; a resize reaches `stty size`; leaving the page ends the shell.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect, admin, createOwnPool, login, visit } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '..');
const TASK_TIMEOUT = 180_000;

async function trpc<T>(req: APIRequestContext, proc: string, input: unknown, mutation = false): Promise<T> {
  const res = mutation
    ? await req.post(`/api/trpc/${proc}`, { data: input })
    : await req.get(`/api/trpc/${proc}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);
  expect(res.ok(), `${proc}: ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

async function waitTask(req: APIRequestContext, id: string): Promise<string> {
  for (const end = Date.now() + TASK_TIMEOUT; Date.now() < end; await new Promise((r) => setTimeout(r, 1000))) {
    const t = await trpc<{ status: string }>(req, 'tasks.get', { id });
    if (['succeeded', 'failed', 'cancelled'].includes(t.status)) return t.status;
  }
  return 'timeout';
}

/** Processes inside the VE, by the node's own vzctl (not through the console under test). */
function veProcesses(ctid: number): string {
  const vzroot = path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'vz');
  return execFileSync(path.join(ROOT, 'agents/bin/vzctl'), ['--vzroot', vzroot, 'exec', String(ctid), 'ps', '-o', 'pid,args'], { encoding: 'utf8', timeout: 30_000 });
}

const screen = (page: Page) => page.evaluate(() => window.__vzConsoleText?.() ?? '');

async function run(page: Page, command: string, expected: RegExp) {
  await page.getByTestId('console').click();
  await page.keyboard.type(`${command}\n`);
  await expect.poll(() => screen(page), { timeout: 20_000 }).toMatch(expected);
}

test('console: admin and owner type into the VE, resize reaches stty, leaving the page ends the shell', async ({ page, browser, baseURL }) => {
  test.setTimeout(300_000);
  const id = randomBytes(3).toString('hex');
  const cust = { email: `con-${id}@example.test`, password: `console-pw-${id}-long` };
  await login(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  const [nodes, templates] = await Promise.all([
    trpc<Array<{ id: string }>>(page.request, 'nodes.list', undefined),
    trpc<Array<{ id: string; name: string }>>(page.request, 'templates.list', undefined),
  ]);
  const { customer } = await trpc<{ customer: { id: string } }>(page.request, 'customers.create', { ...cust, name: `Console ${id}` }, true);
  const plan = await trpc<{ id: string }>(page.request, 'plans.create', { name: `console-${id}`, ram: 128, diskspace: 256 }, true);
  await createOwnPool(page.request, `console-${id}`, [nodes[0].id], id);
  const r = await trpc<{ ve: { id: string; ctid: number }; taskId: string }>(page.request, 'ves.create', {
    hostname: `console-${id}.example.test`, planId: plan.id, templateId: templates.find((t) => t.name === 'busybox')!.id, ownerId: customer.id, password: 'console-root-pw',
  }, true);
  try {
    expect(await waitTask(page.request, r.taskId)).toBe('succeeded');

    await test.step('admin: a command, then a resize seen by stty', async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      await visit(page, `/admin/ves/${r.ve.id}/console`);
      await expect(page.getByTestId('console')).toHaveAttribute('data-console-state', 'open', { timeout: 30_000 });
      await expect(page.locator('.xterm-rows')).toBeVisible();
      await run(page, 'echo $((6*7))', /^42\s*$/m);
      await run(page, 'stty size', /^\d+ \d+\s*$/m);
      const before = (await screen(page)).match(/^(\d+) (\d+)\s*$/m)![0].trim();
      await page.setViewportSize({ width: 900, height: 600 });
      await page.keyboard.type('clear\n');
      await run(page, 'stty size', /^\d+ \d+\s*$/m);
      const after = (await screen(page)).match(/^(\d+) (\d+)\s*$/m)![0].trim();
      expect(after).not.toBe(before);
      expect(veProcesses(r.ve.ctid)).toMatch(/sh -l/);
      await visit(page, '/admin');
      await expect.poll(() => veProcesses(r.ve.ctid), { timeout: 15_000 }).not.toMatch(/sh -l/);
    });

    await test.step('the owning customer opens the console from the portal', async () => {
      const ctx = await browser.newContext({ baseURL, ignoreHTTPSErrors: true });
      const cp = await ctx.newPage();
      try {
        await login(cp, cust.email, cust.password);
        await expect(cp).toHaveURL(/\/portal$/);
        await visit(cp, `/portal/ves/${r.ve.id}/console`);
        await expect(cp.getByTestId('console')).toHaveAttribute('data-console-state', 'open', { timeout: 30_000 });
        await run(cp, 'hostname', new RegExp(`^console-${id}`, 'm'));
      } finally {
        await ctx.close();
      }
      await expect.poll(() => veProcesses(r.ve.ctid), { timeout: 15_000 }).not.toMatch(/sh -l/);
    });
  } finally {
    const d = await trpc<{ taskId: string }>(page.request, 'ves.destroy', { id: r.ve.id, confirm: String(r.ve.ctid) }, true).catch(() => null);
    if (d) await waitTask(page.request, d.taskId);
  }
});
