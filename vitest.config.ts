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
          // One file at a time by default (vitest's own default on 2 cores). VZ_TEST_WORKERS=3 runs three:
          // tried on 2026-12-06 beside the e2e specs it was slower, and a lock test with a time bound failed.
          maxWorkers: Number(process.env.VZ_TEST_WORKERS ?? 1),
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
