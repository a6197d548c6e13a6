import { defineConfig } from '@playwright/test';

// Debian's Chromium, never a downloaded browser; flags keep it from calling home (only localhost is reachable).
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // One panel (with its embedded Postgres and agent) serves all specs; they run one at a time.
  workers: 1,
  fullyParallel: false,
  // One retry: the specs share the 2 cores with the node lane's containers in `./vz test`. A spec that
  // passes only on its retry is reported as flaky, and scripts/test.sh repeats its first failure at the end.
  retries: 1,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]] : 'list',
  outputDir: 'test-results',
  globalSetup: './e2e/global-setup.ts',
  use: {
    // global-setup sets VZ_E2E_BASE_URL before workers start; workers re-read this file with it.
    baseURL: process.env.VZ_E2E_BASE_URL,
    browserName: 'chromium',
    // The panel under test serves a self-signed certificate made at its start.
    ignoreHTTPSErrors: true,
    launchOptions: { executablePath: process.env.VZ_CHROMIUM ?? '/usr/bin/chromium', args: chromiumArgs },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
