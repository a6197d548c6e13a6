// Migrations without the native schema engine (only on Prisma's CDN): the wasm engine driven
// through a pg driver adapter, entirely inside Node. See STACK.md "Prisma 7 migrations offline".
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as rt from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { MigrationAdapterFactory } from './adapter';
import { LOCKFILE, readMigrations, writeMigration, type PrismaPaths, resolvePaths } from './migrations-dir';

export type { PrismaPaths } from './migrations-dir';

const FILTERS = { externalTables: [], externalEnums: [] };

let ready: Promise<void> | undefined;

// `import '@prisma/schema-engine-wasm'` needs --experimental-wasm-modules; instantiate the .wasm by hand.
function loadWasm(): Promise<void> {
  ready ??= (async () => {
    const js = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const module = await WebAssembly.compile(await readFile(path.join(path.dirname(js), 'schema_engine_bg.wasm')));
    const instance = await WebAssembly.instantiate(module, { './schema_engine_bg.js': rt as unknown as WebAssembly.ModuleImports });
    rt.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return ready;
}

/** The engine reports errors as JSON strings or objects; turn them into a readable Error. */
function engineError(e: unknown): Error {
  if (e instanceof Error) return e;
  const raw = typeof e === 'string' ? e : JSON.stringify(e);
  try {
    const parsed = JSON.parse(raw) as { message?: string; error_code?: string; meta?: unknown };
    if (parsed.message) return Object.assign(new Error(parsed.message), { code: parsed.error_code, meta: parsed.meta });
  } catch {
    /* not JSON */
  }
  return new Error(raw);
}

/** Runs `fn` with a fresh engine on `url`, then frees it and releases every connection and shadow DB. */
async function withEngine<T>(url: string, paths: PrismaPaths, fn: (engine: SchemaEngine, schema: string) => Promise<T>): Promise<T> {
  await loadWasm();
  const schema = await readFile(paths.schemaPath, 'utf8');
  const factory = new MigrationAdapterFactory(url);
  let engine: SchemaEngine | undefined;
  try {
    engine = await rt.SchemaEngine.new(
      { datamodels: [[paths.schemaPath, schema]] },
      // Engine tracing is noisy; VZ_ENGINE_LOG=1 prints it when debugging a migration.
      (line: string) => void (process.env.VZ_ENGINE_LOG && console.error(line)),
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    return await fn(engine, schema);
  } catch (e) {
    throw engineError(e);
  } finally {
    engine?.free();
    await factory.close();
  }
}

function migrationList(paths: PrismaPaths, dirs: Awaited<ReturnType<typeof readMigrations>>): MigrationList {
  return {
    baseDir: paths.migrationsDir,
    // The engine needs the provider from the lock file even before the first migration exists.
    lockfile: { path: 'migration_lock.toml', content: dirs.lockfile ?? LOCKFILE },
    shadowDbInitScript: '',
    migrationDirectories: dirs.migrations.map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: m.sql } },
    })),
  };
}

/** `prisma migrate deploy`: applies pending migrations (recorded in `_prisma_migrations`); idempotent. */
export async function applyMigrations(url: string, opts: Partial<PrismaPaths> = {}): Promise<{ applied: string[] }> {
  const paths = resolvePaths(opts);
  const dirs = await readMigrations(paths);
  return withEngine(url, paths, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList: migrationList(paths, dirs), filters: FILTERS });
    return { applied: out.appliedMigrationNames };
  });
}

/** SQL that takes the migrations (replayed on a shadow DB) to the schema; empty string when none. */
async function pendingSchemaSql(engine: SchemaEngine, paths: PrismaPaths, dirs: Awaited<ReturnType<typeof readMigrations>>, schema: string) {
  const res = await engine.diff({
    from: { tag: 'migrations', ...migrationList(paths, dirs) },
    to: { tag: 'schemaDatamodel', files: [{ path: paths.schemaPath, content: schema }] },
    script: true,
    exitCode: true,
    filters: FILTERS,
  });
  return res.exitCode === 2 ? (res.stdout ?? '') : '';
}

/**
 * `prisma migrate dev --create-only`: writes `migrations/<timestamp>_<name>/migration.sql` for the
 * schema changes not covered by existing migrations. `url` only serves to create the shadow DB.
 * Returns null when the schema has no changes.
 */
export async function createMigration(url: string, name: string, opts: Partial<PrismaPaths> = {}): Promise<{ name: string; dir: string; sql: string } | null> {
  const paths = resolvePaths(opts);
  const dirs = await readMigrations(paths);
  const sql = await withEngine(url, paths, (engine, schema) => pendingSchemaSql(engine, paths, dirs, schema));
  if (!sql.trim()) return null;
  return writeMigration(paths, name, sql, dirs);
}

export interface DriftReport {
  drift: boolean;
  /** 'migration-missing': the schema changed without a migration; 'database': the live DB differs from the schema. */
  kind: 'migration-missing' | 'database' | null;
  /** SQL that would remove the drift (empty when none). */
  script: string;
  /** With kind 'database': migrations not yet applied to it (then `deploy` is the fix). */
  pendingMigrations?: string[];
}

/**
 * Compares the schema with (1) the migrations replayed on a shadow DB and, unless `live:false`,
 * (2) the live database at `url`.
 */
export async function checkDrift(url: string, opts: Partial<PrismaPaths> & { live?: boolean } = {}): Promise<DriftReport> {
  const paths = resolvePaths(opts);
  const dirs = await readMigrations(paths);
  return withEngine(url, paths, async (engine, schema) => {
    const missing = await pendingSchemaSql(engine, paths, dirs, schema);
    if (missing.trim()) return { drift: true, kind: 'migration-missing', script: missing };
    if (opts.live === false) return { drift: false, kind: null, script: '' };
    const files = [{ path: paths.schemaPath, content: schema }];
    const res = await engine.diff({
      from: { tag: 'schemaDatasource', files, configDir: path.dirname(paths.schemaPath) },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: true,
      filters: FILTERS,
    });
    if (res.exitCode === 2) {
      const diag = await engine.diagnoseMigrationHistory({ migrationsList: migrationList(paths, dirs), optInToShadowDatabase: false, filters: FILTERS });
      const pending = diag.history?.diagnostic === 'databaseIsBehind' ? diag.history.unappliedMigrationNames : [];
      return { drift: true, kind: 'database', script: res.stdout ?? '', pendingMigrations: pending };
    }
    return { drift: false, kind: null, script: '' };
  });
}

/** `prisma migrate resolve --rolled-back <name>`: after fixing a failed migration by hand, lets deploy retry it. */
export async function markRolledBack(url: string, migrationName: string, opts: Partial<PrismaPaths> = {}): Promise<void> {
  const paths = resolvePaths(opts);
  await withEngine(url, paths, (engine) => engine.markMigrationRolledBack({ migrationName }));
}
