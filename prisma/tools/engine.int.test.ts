// The wasm migration engine against the run's real Postgres: deploy, drift, create, atomic failures.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '@/server/db/embedded';
import { testAdminUrl } from '@/test/db';
import { applyMigrations, checkDrift, createMigration, markRolledBack } from './engine';

const REPO = path.resolve(import.meta.dirname, '../..');
const PRISMA_DIR = path.join(REPO, 'prisma');
const cleanups: (() => Promise<unknown>)[] = [];

async function admin<T>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
  const c = new pg.Client({ connectionString: testAdminUrl() });
  await c.connect();
  try {
    return await c.query<T & pg.QueryResultRow>(sql, params);
  } finally {
    await c.end();
  }
}

async function emptyDatabase(): Promise<{ name: string; url: string }> {
  const name = `vz_engine_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  cleanups.push(() => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  return { name, url: withDatabase(testAdminUrl(), name) };
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T & pg.QueryResultRow>(sql)).rows;
  } finally {
    await c.end();
  }
}

/** Copy of prisma/ (schema + migrations) to change freely; the real schema is never touched. */
async function prismaCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vz-prisma-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(path.join(PRISMA_DIR, 'schema.prisma'), path.join(dir, 'schema.prisma'));
  await cp(path.join(PRISMA_DIR, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  return dir;
}

async function addVeNotesField(dir: string): Promise<void> {
  const file = path.join(dir, 'schema.prisma');
  const schema = await readFile(file, 'utf8');
  await writeFile(file, schema.replace(/model Ve \{\n/, 'model Ve {\n  notes String?\n'));
}

async function committedMigrations(): Promise<string[]> {
  return (await readdir(path.join(PRISMA_DIR, 'migrations'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

async function leftoverShadowDbs(): Promise<string[]> {
  return (await admin<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_%'")).rows.map((r) => r.datname);
}

async function connectionsTo(db: string): Promise<number> {
  return Number((await admin<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [db])).rows[0].n);
}

afterEach(async () => {
  // Engine calls must free their pools and drop their shadow databases, even on failure.
  expect(await leftoverShadowDbs()).toEqual([]);
});
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
});

describe('applyMigrations', () => {
  let db: { name: string; url: string };
  beforeAll(async () => {
    db = await emptyDatabase();
  });

  it('creates every table on an empty database and records the migrations', async () => {
    const { applied } = await applyMigrations(db.url);
    expect(applied).toEqual(await committedMigrations());
    const tables = (await query<{ t: string }>(db.url, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'")).map((r) => r.t);
    for (const t of ['User', 'Session', 'ApiKey', 'Node', 'Template', 'TemplateCache', 'Plan', 'IpPool', 'IpAddress', 'Ve', 'Task', 'TaskLog', 'BulkJob', 'BulkJobItem', 'UsagePolicy', 'AuditLog', 'Webhook', 'WebhookDelivery', 'IdempotencyKey', '_prisma_migrations']) {
      expect(tables).toContain(t);
    }
    const rows = await query<{ migration_name: string; finished_at: Date | null }>(db.url, 'SELECT migration_name, finished_at FROM _prisma_migrations');
    expect(rows.every((r) => r.finished_at)).toBe(true);
    expect(await connectionsTo(db.name)).toBe(0);
  });

  it('is a no-op when everything is applied', async () => {
    expect((await applyMigrations(db.url)).applied).toEqual([]);
    const rows = await query(db.url, 'SELECT 1 FROM _prisma_migrations');
    expect(rows).toHaveLength((await committedMigrations()).length);
  });

  it('finds no drift between the committed schema, its migrations and the migrated database', async () => {
    expect(await checkDrift(db.url)).toMatchObject({ drift: false, kind: null });
    expect(await connectionsTo(db.name)).toBe(0);
  });

  it('reports a database that lacks migrations as database drift with the pending names', async () => {
    const fresh = await emptyDatabase();
    const report = await checkDrift(fresh.url);
    expect(report).toMatchObject({ drift: true, kind: 'database', pendingMigrations: await committedMigrations() });
  });
});

describe('schema changed without a migration', () => {
  it('fails the drift check (engine and CLI exit code 2)', async () => {
    const db = await emptyDatabase();
    await applyMigrations(db.url);
    const dir = await prismaCopy();
    await addVeNotesField(dir);

    const report = await checkDrift(db.url, { prismaDir: dir });
    expect(report.drift).toBe(true);
    expect(report.kind).toBe('migration-missing');
    expect(report.script).toMatch(/ALTER TABLE "Ve" ADD COLUMN\s+"notes" TEXT/);

    const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'prisma/tools/cli.ts', '--dir', dir, 'drift'], {
      cwd: REPO,
      env: { ...process.env, DATABASE_URL: db.url },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('changed without a migration');
  });

  it('createMigration writes a migration folder that then applies and clears the drift', async () => {
    const db = await emptyDatabase();
    await applyMigrations(db.url);
    const dir = await prismaCopy();
    await addVeNotesField(dir);

    const created = await createMigration(db.url, 'Add VE notes', { prismaDir: dir });
    expect(created?.name).toMatch(/^\d{14}_add_ve_notes$/);
    expect(await readFile(path.join(dir, 'migrations', created!.name, 'migration.sql'), 'utf8')).toMatch(/ADD COLUMN\s+"notes"/);
    expect(existsSync(path.join(PRISMA_DIR, 'migrations', created!.name))).toBe(false);

    expect((await applyMigrations(db.url, { prismaDir: dir })).applied).toEqual([created!.name]);
    const cols = await query<{ c: string }>(db.url, "SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'Ve' AND column_name = 'notes'");
    expect(cols).toHaveLength(1);
    expect(await checkDrift(db.url, { prismaDir: dir })).toMatchObject({ drift: false });
    expect(await createMigration(db.url, 'again', { prismaDir: dir })).toBeNull();

    // Seen from the committed schema, that database now has a column nobody declared.
    const fromRepo = await checkDrift(db.url);
    expect(fromRepo).toMatchObject({ drift: true, kind: 'database', pendingMigrations: [] });
    expect(fromRepo.script).toMatch(/DROP COLUMN "notes"/);
  });
});

describe('migration scripts', () => {
  async function addMigration(dir: string, name: string, sql: string) {
    await mkdir(path.join(dir, 'migrations', name));
    await appendFile(path.join(dir, 'migrations', name, 'migration.sql'), sql);
  }

  it('run whole: plpgsql bodies and ";" in literals apply, and a failing one leaves nothing half-done', async () => {
    const db = await emptyDatabase();
    const dir = await prismaCopy();
    await addMigration(dir, '29990101000000_fn', `CREATE FUNCTION vz_semi() RETURNS text AS $$ BEGIN RETURN 'a;b'; END $$ LANGUAGE plpgsql;\n`);
    await addMigration(dir, '29990101000001_broken', 'CREATE TABLE "Half" (id int);\nSELECT no_such_function();\n');

    await expect(applyMigrations(db.url, { prismaDir: dir })).rejects.toThrow(/no_such_function/);
    expect(await query<{ v: string }>(db.url, 'SELECT vz_semi() AS v')).toEqual([{ v: 'a;b' }]);
    expect(await query(db.url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'Half'")).toEqual([]);
    // Like `migrate deploy`, it refuses to continue past a failed migration.
    await expect(applyMigrations(db.url, { prismaDir: dir })).rejects.toThrow(/failed migrations/);

    // Fix the migration, mark the failed attempt rolled back, and deploy applies it.
    await writeFile(path.join(dir, 'migrations', '29990101000001_broken', 'migration.sql'), 'CREATE TABLE "Half" (id int);\n');
    await markRolledBack(db.url, '29990101000001_broken', { prismaDir: dir });
    expect((await applyMigrations(db.url, { prismaDir: dir })).applied).toEqual(['29990101000001_broken']);
    expect(await connectionsTo(db.name)).toBe(0);
  });
});
