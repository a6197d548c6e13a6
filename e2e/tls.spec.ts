// The panel over HTTPS, as an admin reaches it: the plain port sends the browser to HTTPS, the
// login works there, the session cookie is Secure (never sent over plain HTTP) and HSTS is set.
import { test, expect, admin, login, visit } from './fixtures';

test('over TLS: http redirects to https, login works, the session cookie is Secure, HSTS is sent', async ({ page, context }) => {
  const base = new URL(process.env.VZ_E2E_BASE_URL ?? '');
  expect(base.protocol, 'the e2e panel runs with VZPANEL_TLS=self-signed').toBe('https:');

  const plain = await fetch(`${process.env.VZ_E2E_HTTP_URL}/login?next=%2Fadmin`, { redirect: 'manual' });
  expect(plain.status).toBe(308);
  expect(plain.headers.get('location')).toBe(`https://localhost:${base.port}/login?next=%2Fadmin`);

  // The browser follows the redirect from the plain port to the TLS one.
  await visit(page, `${process.env.VZ_E2E_HTTP_URL}/login`);
  expect(new URL(page.url()).protocol).toBe('https:');

  const res = await visit(page, '/login');
  expect(res?.headers()['strict-transport-security']).toMatch(/max-age=\d{7,}/);
  await login(page, admin().email, admin().password);
  await expect(page).toHaveURL(/\/admin$/);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'vz_session');
  expect(session, `the session cookie among ${cookies.map((c) => c.name).join(', ')}`).toBeDefined();
  expect(session).toMatchObject({ secure: true, httpOnly: true });
});
