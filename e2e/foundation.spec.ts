// The foundation as a new admin sees it: sign in with the printed password, see this machine as
// node `local` with its real memory, browse the API docs offline, sign out.
import { readFileSync } from 'node:fs';
import { test, expect, admin, login, visit } from './fixtures';

/** MemTotal of this machine in bytes, straight from the kernel. */
function memTotalBytes(): number {
  const m = /^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  if (!m) throw new Error('no MemTotal in /proc/meminfo');
  return Number(m[1]) * 1024;
}

// The dashboard's rule, restated here independently: one decimal GiB from 1 GiB up, else whole MiB.
function expectedMemoryText(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

const isLocal = (url: string) => {
  const u = new URL(url);
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) return true; // data:, blob: never leave the browser
  return ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
};

test('a wrong password is refused with a clear message', async ({ page }) => {
  await login(page, admin().email, admin().password + '-wrong');
  await expect(page.getByTestId('error-alert')).toContainText('Invalid email or password');
  await expect(page).toHaveURL(/\/login/);
});

test('admin signs in, sees node local online with its real memory, reads the API docs offline, signs out', async ({ page }) => {
  const { email, password } = admin();
  expect(email, 'global-setup parsed the Admin login line').not.toBe('');

  await login(page, email, password);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByTestId('current-user')).toContainText(email);

  const node = page.getByTestId('node-local');
  await expect(node.getByTestId('node-state')).toHaveText('online', { timeout: 60_000 });
  const total = memTotalBytes();
  const mem = node.getByTestId('node-memory-total');
  await expect(mem).toHaveText(expectedMemoryText(total));
  await expect(mem.locator('[data-bytes]')).toHaveAttribute('data-bytes', String(total));
  await expect(node.getByTestId('node-cpus')).toHaveText(/^\d+$/);
  await expect(node.getByTestId('node-cgroup')).toHaveText(/^v[12]$/);

  // API docs: everything the page loads comes from this panel.
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await visit(page, '/api-docs');
  await expect(page.locator('#swagger .info .title')).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((u) => !isLocal(u))).toEqual([]);

  // Sign out; the admin area now sends us to the login page.
  await visit(page, '/admin');
  await page.getByTestId('logout').click();
  await expect(page).toHaveURL(/\/login/);
  await visit(page, '/admin');
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByLabel('Password')).toBeVisible();
});
