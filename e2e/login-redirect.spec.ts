// After sign-in the login page follows `next` only to a path on the panel itself: a value the URL
// parser turns into another host (a tab in "/%09/evil.com" makes it //evil.com) lands on the home page.
import { test, expect, admin, visit } from './fixtures';

async function signInAt(page: import('@playwright/test').Page, url: string) {
  const { email, password } = admin();
  await visit(page, url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a next= that parses to another origin ends on the admin home, a same-origin one is followed', async ({ page, baseURL }) => {
  const leftPanel: string[] = [];
  page.on('request', (r) => { if (new URL(r.url()).host !== new URL(baseURL!).host) leftPanel.push(r.url()); });
  for (const next of ['/%09/evil.com', '/%5Cevil.com', '/.//evil.com', 'https://evil.com/']) {
    await page.context().clearCookies();
    await signInAt(page, `/login?next=${next}`);
    await expect(page).toHaveURL(new URL('/admin', baseURL).href);
  }
  expect(leftPanel).toEqual([]);

  await page.context().clearCookies();
  await signInAt(page, '/login?next=%2Fadmin%2Fnodes');
  await expect(page).toHaveURL(new URL('/admin/nodes', baseURL).href);
});
