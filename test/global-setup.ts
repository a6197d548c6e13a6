// One embedded Postgres cluster per test run; each test file makes its own database (test/db.ts).
import type { TestProject } from 'vitest/node';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { startEmbeddedPostgres } from '../server/db/embedded';

export default async function setup(project: TestProject) {
  const root = mkdtempSync('/tmp/vzpanel-test-pg-');
  const db = await startEmbeddedPostgres({ dataDir: path.join(root, 'data'), persistent: false });
  project.provide('pgAdminUrl', db.url);
  process.env.VZ_TEST_PG_ADMIN_URL = db.url;
  return async () => {
    await db.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
