// Two-factor sign-in as a user sees it: turn TOTP on from the account page, then sign in again
// through the code step. The admin's TOTP is turned off again afterwards (the panel is shared).
import { test, expect, admin, login, visit } from './fixtures';
import { codeSource } from './totp';

test('admin turns on TOTP, then needs a code to sign in; a wrong code is refused', async ({ page }) => {
  const { email, password } = admin();
  await login(page, email, password);
  await expect(page).toHaveURL(/\/admin$/);

  await visit(page, '/admin/account');
  await expect(page.getByTestId('totp-status')).toHaveText('off');
  await page.getByTestId('totp-setup').click();
  await expect(page.getByTestId('totp-uri')).toHaveText(/^otpauth:\/\/totp\//);
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  const nextCode = codeSource(secret);
  try {
    await page.getByLabel('Code').fill(await nextCode());
    await page.getByTestId('totp-enable').click();
    await expect(page.getByTestId('totp-status')).toHaveText('on');
    await expect(page.getByTestId('totp-backup-codes').locator('li')).toHaveCount(10);

    await page.getByTestId('logout').click();
    await expect(page).toHaveURL(/\/login/);
    await login(page, email, password);
    await expect(page.getByTestId('totp-form')).toBeVisible();
    await page.getByLabel('Authentication code').fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByTestId('error-alert')).toContainText('not valid');

    await page.getByLabel('Authentication code').fill(await nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page).toHaveURL(/\/admin$/);
  } finally {
    // Leave the shared admin as we found it, whatever failed above.
    await visit(page, '/admin/account');
    if ((await page.getByTestId('totp-status').textContent()) === 'on') {
      await page.getByLabel('Current code or backup code').fill(await nextCode());
      await page.getByTestId('totp-disable').click();
      await expect(page.getByTestId('totp-status')).toHaveText('off');
    }
  }
});
