import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import path from 'node:path';
import { laneFiles, LATE_FILES } from './test/lanes';

const alias = { '@': path.resolve(import.meta.dirname) };

/** vitest's order (slowest or largest first), then the files that need the background Debian builds
 *  or bound a time last (test/lanes.ts). */
class IntegrationSequencer extends BaseSequencer {
  async sort(files: TestSpecification[]) {
    const sorted = await super.sort(files);
    const late = (f: TestSpecification) => LATE_FILES.some((l) => f.moduleId.endsWith(`/${l}`));
    return [...sorted.filter((f) => !late(f)), ...sorted.filter(late)];
  }
}

/** VZ_TEST_LANE=node|node2|db: only that lane's integration files (test/lanes.ts; `./vz test` runs them side by side). */
const lane = process.env.VZ_TEST_LANE;
const integrationInclude = lane === 'node' || lane === 'node2' || lane === 'db'
  ? laneFiles(lane, import.meta.dirname)
  : ['**/*.int.test.ts'];

export default defineConfig({
  resolve: { alias },
  test: {
    // A root option: vitest ignores a sequencer set inside a project.
    sequence: { sequencer: IntegrationSequencer },
    projects: [
      {
        resolve: { alias },
        // Some unit tests run tar, xz or rsync; the suite runs them beside the node-lane integration files,
        // where vitest's 5 s default was too short once (an xz upload case took 5.1 s at load 12).
        test: { name: 'unit', include: ['**/*.test.ts'], exclude: ['**/*.int.test.ts', 'node_modules/**', 'e2e/**'], testTimeout: 30_000 },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: integrationInclude,
          exclude: ['node_modules/**', 'e2e/**'],
          globalSetup: ['test/global-setup.ts'],
          // One file at a time by default (vitest's own default on 2 cores). VZ_TEST_WORKERS=3 runs three:
          // tried on 2026-12-06 beside the e2e specs it was slower, and a lock test with a time bound failed.
          // `./vz test` instead runs the Postgres-only files in a second vitest beside these (test/lanes.ts).
          maxWorkers: Number(process.env.VZ_TEST_WORKERS ?? 1),
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
