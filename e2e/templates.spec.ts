// Template distribution in Chromium against the real stack: an uploaded template is copied to the
// local node ahead of need and the templates page says ready; support sees the states, no controls.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test, expect, admin, login, call, visit } from './fixtures';
import { minimalRoot, writeTar } from '../test/fixtures/rootfs-tar';

test('an uploaded template reaches the node ahead of need; admins can sync it again, support only reads', async ({ page, browser }) => {
  test.setTimeout(300_000);
  const id = Math.random().toString(36).slice(2, 8);
  const name = `hd-e2e-${id}`;
  const dir = mkdtempSync('/tmp/hd-e2e-');
  try {
    await login(page, admin().email, admin().password);
    await expect(page).toHaveURL(/\/admin$/);
    const tar = writeTar(path.join(dir, 'root.tar.gz'), minimalRoot());
    const res = await page.request.post(`/api/templates/upload?name=${name}`, { data: readFileSync(tar), headers: { 'content-type': 'application/octet-stream' } });
    expect(res.ok(), await res.text()).toBe(true);

    await visit(page, '/admin/templates');
    const cell = page.getByTestId(`template-cache-${name}-local`);
    await expect(cell).toContainText('local: ready', { timeout: 120_000 });
    await expect(page.getByTestId(`template-retry-${name}-local`)).toHaveCount(0);
    // "Sync" again: the node already holds that build; the copy stays ready.
    await page.getByTestId(`template-row-${name}`).getByRole('button', { name: 'Sync' }).click();
    await expect(cell).toContainText('local: ready');

    const staff = await call<{ password: string }>(page.request, 'staff.create', { email: `support-${id}@example.test`, adminRole: 'support' });
    const ctx = await browser.newContext();
    try {
      const support = await ctx.newPage();
      await login(support, `support-${id}@example.test`, staff.password);
      await expect(support).toHaveURL(/\/admin$/);
      await visit(support, '/admin/templates');
      await expect(support.getByTestId(`template-cache-${name}-local`)).toContainText('local: ready');
      await expect(support.getByTestId(`template-row-${name}`).getByRole('button')).toHaveCount(0);
      await expect(support.getByTestId('template-sync-node')).toHaveCount(0);
    } finally {
      await ctx.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
