// Backups in the portal, in Chromium against the real stack (panel, agent, LXC, restic on a local
// repository): a customer backs up their VE, changes a file, restores the backup (typing the CTID
// to confirm) and gets the old file back, then downloads the backup as a tarball through its link.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import type { APIRequestContext } from '@playwright/test';
import { test, expect, admin, login, visit, call, createOwnPool } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '..');
const vzroot = () => path.join(process.env.VZ_E2E_LOG_DIR ?? '', 'vz');
const TASK_TIMEOUT = 240_000;


async function waitTask(req: APIRequestContext, id: string): Promise<{ status: string; error: string | null }> {
  for (const end = Date.now() + TASK_TIMEOUT; Date.now() < end; await new Promise((r) => setTimeout(r, 1000))) {
    const t = await call<{ status: string; error: string | null }>(req, 'tasks.get', { id }, false);
    if (['succeeded', 'failed', 'cancelled'].includes(t.status)) return t;
  }
  return { status: 'timeout', error: null };
}

// Inside the VE by the node's own vzctl, independent of the panel (vzctl exec joins its arguments into
// one shell command line, as OpenVZ's does, so the script goes as one argument). The agent may answer a finished
// operation a moment before it lets go of the VE: "busy" is asked again.
async function inVe(ctid: number, script: string): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return execFileSync(path.join(ROOT, 'agents/bin/vzctl'), ['--vzroot', vzroot(), 'exec', String(ctid), script], { encoding: 'utf8', timeout: 60_000, stdio: 'pipe' }).trim();
    } catch (e) {
      if (!/busy/.test(String((e as { stderr?: string }).stderr)) || i >= 30) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

test('a customer backs up their VE in the portal, restores it, and downloads the tarball', async ({ page, browser }) => {
  test.setTimeout(900_000);
  const id = randomBytes(3).toString('hex');
  const repoDir = mkdtempSync('/tmp/bkp-e2e-');
  const cust = { email: `backup-${id}@example.test`, password: `backup-pw-${id}-long` };
  await login(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  const req = page.request;
  const nodes = await call<Array<{ id: string; name: string }>>(req, 'nodes.list', undefined, false);
  const node = nodes.find((n) => n.name === 'local') ?? nodes[0];
  const storage = await call<{ id: string; taskId: string }>(req, 'backups.storageAdd', { name: `e2e-${id}`, kind: 'local', path: path.join(repoDir, 'repo') });
  expect(await waitTask(req, storage.taskId)).toMatchObject({ status: 'succeeded' });
  const customer = await call<{ customer: { id: string } }>(req, 'customers.create', { email: cust.email, password: cust.password });
  const plan = await call<{ id: string }>(req, 'plans.create', { name: `backup-${id}`, ram: 128, diskspace: 256, backupLimit: 3, snapshotLimit: 1 });
  await createOwnPool(req, `backup-${id}`, [node.id], id);
  // A ctid in this suite's own range (veth names are host-wide).
  const created = await call<{ ve: { id: string; ctid: number }; taskId: string }>(req, 'ves.create', {
    planId: plan.id, template: 'busybox', nodeId: node.id, hostname: `bk-${id}.example.test`, password: 'root-pw-long-enough', ownerId: customer.customer.id, ctid: 22900 + randomInt(0, 99),
  });
  const ve = created.ve;
  try {
    expect(await waitTask(req, created.taskId)).toMatchObject({ status: 'succeeded' });
    await inVe(ve.ctid, 'echo first-version > /root/marker.txt');

    await test.step('the admin schedules a plan\'s backups', async () => {
      // A plan of its own: a schedule set now may catch up at once, and must not race the customer's steps below.
      const sched = await call<{ id: string }>(req, 'plans.create', { name: `sched-${id}`, ram: 128, diskspace: 256 });
      await visit(page, '/admin/backups');
      const card = page.getByTestId('backup-schedules');
      await card.getByTestId('schedule-plan').selectOption({ label: `sched-${id}` });
      await card.getByTestId('schedule-storage').selectOption({ label: `e2e-${id}` });
      await card.getByLabel('Window opens (UTC)').fill('03:30');
      await card.getByLabel('Keep weekly').fill('2');
      await card.getByTestId('schedule-save').click();
      const row = card.locator('tr', { hasText: `sched-${id}` });
      await expect(row).toContainText('Daily, 03:30–07:30');
      await expect(row).toContainText('7 daily, 2 weekly, 3 monthly');
      const saved = await call<Array<{ planId: string | null; storageId: string; windowStart: number }>>(req, 'backups.schedules', undefined, false);
      expect(saved.find((x) => x.planId === sched.id)).toMatchObject({ storageId: storage.id, windowStart: 210 });
    });

    const ctx = await browser.newContext();
    const cp = await ctx.newPage();
    await login(cp, cust.email, cust.password);
    await expect(cp).toHaveURL(/\/portal$/);
    await visit(cp, `/portal/ves/${ve.id}`);
    const panel = cp.getByTestId('ve-backups');
    await expect(panel).toBeVisible({ timeout: 30_000 });

    await test.step('back up now', async () => {
      await panel.getByTestId('backup-create').click();
      await expect(panel.getByTestId('backup-row').first()).toHaveAttribute('data-state', 'completed', { timeout: TASK_TIMEOUT });
    });

    await test.step('restore, confirmed by the CTID', async () => {
      await inVe(ve.ctid, 'echo second-version > /root/marker.txt');
      const before = await cp.getByTestId('task').getAttribute('data-task-id');
      await panel.getByTestId('backup-restore').first().click();
      const go = panel.getByTestId('restore-confirm-go');
      await expect(go).toBeDisabled();
      await panel.getByTestId('restore-confirm-input').fill(String(ve.ctid));
      await go.click();
      // The task panel now follows the restore, not the backup before it.
      await expect(cp.getByTestId('task')).not.toHaveAttribute('data-task-id', before ?? '', { timeout: 30_000 });
      await expect(cp.getByTestId('task')).toHaveAttribute('data-status', 'succeeded', { timeout: TASK_TIMEOUT });
      // The VE was just started again by the restore: give its shell a moment.
      await expect.poll(() => inVe(ve.ctid, 'cat /root/marker.txt 2>&1'), { timeout: 60_000, intervals: [1000] }).toBe('first-version');
    });

    await test.step('download the tarball (the link works once)', async () => {
      const [download] = await Promise.all([cp.waitForEvent('download', { timeout: 120_000 }), panel.getByTestId('backup-download').first().click()]);
      const file = path.join(repoDir, 'backup.tar');
      await download.saveAs(file);
      expect(download.suggestedFilename()).toMatch(new RegExp(`^vz${ve.ctid}-.*\\.tar$`));
      const listing = execFileSync('tar', ['-tf', file], { encoding: 'utf8' });
      expect(listing).toMatch(/root\/marker\.txt/);
      expect(execFileSync('tar', ['-xOf', file, listing.split('\n').find((l) => l.endsWith('root/marker.txt'))!], { encoding: 'utf8' }).trim()).toBe('first-version');
      const again = await cp.request.get(new URL(download.url()).pathname);
      expect(again.status()).toBe(404);
    });
    await ctx.close();
  } finally {
    await req.post('/api/trpc/ves.destroy', { data: { id: ve.id, confirm: String(ve.ctid) } }).catch(() => undefined);
    rmSync(repoDir, { recursive: true, force: true });
  }
});
