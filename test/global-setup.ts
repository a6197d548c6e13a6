// One embedded Postgres cluster per test run; each test file makes its own database (test/db.ts).
// The agent bundle is built here once too, for every file that starts vzagentd (test/fixtures/agent-build.ts).
import type { TestProject } from 'vitest/node';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startEmbeddedPostgres } from '../server/db/embedded';
import { buildAgent } from './fixtures/agent-build';

export default async function setup(project: TestProject) {
  const root = mkdtempSync('/tmp/vzpanel-test-pg-');
  const [db] = await Promise.all([startEmbeddedPostgres({ dataDir: path.join(root, 'data'), persistent: false }), buildAgent()]);
  project.provide('pgAdminUrl', db.url);
  project.provide('agentBuilt', true);
  process.env.VZ_TEST_PG_ADMIN_URL = db.url;
  process.env.VZ_TEST_AGENT_BUILT = '1';
  return async () => {
    await db.stop();
    rmSync(root, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    agentBuilt: boolean;
  }
}
