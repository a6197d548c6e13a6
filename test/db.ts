// Fresh, fully migrated databases for integration tests on the run's embedded cluster (test/global-setup.ts).
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createPrisma, type PrismaClient } from '@/server/db/client';
import { withDatabase } from '@/server/db/embedded';
import { applyMigrations } from '@/prisma/tools/engine';

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  name: string;
  prisma: PrismaClient;
  /** Disconnects `prisma` and drops the database (idempotent). */
  drop(): Promise<void>;
}

const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../prisma/migrations');

export function testAdminUrl(): string {
  const url = process.env.VZ_TEST_PG_ADMIN_URL ?? inject('pgAdminUrl');
  if (!url) throw new Error('VZ_TEST_PG_ADMIN_URL is not set: run this through the vitest "integration" project');
  return url;
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testAdminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// Identifies the current migrations so a template built from older ones is never reused.
async function migrationsHash(): Promise<string> {
  const h = createHash('sha256');
  for (const name of (await readdir(MIGRATIONS_DIR)).sort()) {
    h.update(name);
    if (!name.endsWith('.toml')) h.update(await readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql')));
  }
  return h.digest('hex').slice(0, 16);
}

let template: Promise<string> | undefined;

/**
 * Migrates one template database per cluster and set of migrations (built once, under an advisory
 * lock so parallel test workers agree); each test database is then a cheap CREATE DATABASE … TEMPLATE.
 */
function ensureTemplate(): Promise<string> {
  template ??= (async () => {
    const name = `vz_tmpl_${await migrationsHash()}`;
    await withAdmin(async (c) => {
      await c.query('SELECT pg_advisory_lock(727001)');
      try {
        const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount) return;
        const building = `${name}_build_${randomBytes(4).toString('hex')}`;
        await c.query(`CREATE DATABASE "${building}"`);
        try {
          await applyMigrations(withDatabase(testAdminUrl(), building));
          await c.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
        } catch (e) {
          await c.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
          throw e;
        }
      } finally {
        await c.query('SELECT pg_advisory_unlock(727001)');
      }
    });
    return name;
  })();
  template.catch(() => (template = undefined));
  return template;
}

/** Creates a uniquely named database with all migrations applied, plus a PrismaClient on it. */
export async function createTestDatabase(opts: { poolMax?: number } = {}): Promise<TestDatabase> {
  const tmpl = await ensureTemplate();
  const name = `vz_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (c) => {
    // Concurrent clones of one template can briefly see each other; retry that case only.
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${tmpl}"`);
        return;
      } catch (e) {
        if (attempt >= 20 || !/being accessed by other users/.test(String(e))) throw e;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  });
  const url = withDatabase(testAdminUrl(), name);
  const prisma = createPrisma(url, { max: opts.poolMax ?? 5 });
  let dropped = false;
  return {
    url,
    name,
    prisma,
    async drop() {
      if (dropped) return;
      dropped = true;
      await prisma.$disconnect();
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
