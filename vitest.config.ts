import { defineConfig } from 'vitest/config';
import path from 'node:path';

const alias = { '@': path.resolve(import.meta.dirname) };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      { resolve: { alias }, test: { name: 'unit', include: ['**/*.test.ts'], exclude: ['**/*.int.test.ts', 'node_modules/**', 'e2e/**'] } },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts'],
          exclude: ['node_modules/**', 'e2e/**'],
          globalSetup: ['test/global-setup.ts'],
          // Most of an integration test is waiting on LXC, sshd and Postgres, not CPU: three files at a
          // time on the 2-core CI box (vitest's default would be one). Every file already uses its own
          // database, ctids, bridges and ports, so files do not contend. VZ_TEST_WORKERS=1 runs them serially.
          maxWorkers: Number(process.env.VZ_TEST_WORKERS ?? 3),
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
