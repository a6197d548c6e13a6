// The standard Prisma migrations folder: <dir>/<timestamp>_<name>/migration.sql + migration_lock.toml.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PrismaPaths {
  /** Folder holding schema.prisma and migrations/ (default: this repo's prisma/). */
  prismaDir: string;
  schemaPath: string;
  migrationsDir: string;
}

export interface MigrationsOnDisk {
  lockfile: string | null;
  migrations: { name: string; sql: string }[];
}

export const LOCKFILE = '# Written by prisma/tools (wasm schema engine); keep it in version control.\nprovider = "postgresql"\n';
const DEFAULT_PRISMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function resolvePaths(opts: Partial<PrismaPaths> = {}): PrismaPaths {
  const prismaDir = path.resolve(opts.prismaDir ?? DEFAULT_PRISMA_DIR);
  return {
    prismaDir,
    schemaPath: path.resolve(opts.schemaPath ?? path.join(prismaDir, 'schema.prisma')),
    migrationsDir: path.resolve(opts.migrationsDir ?? path.join(prismaDir, 'migrations')),
  };
}

export async function readMigrations(paths: PrismaPaths): Promise<MigrationsOnDisk> {
  if (!existsSync(paths.migrationsDir)) return { lockfile: null, migrations: [] };
  const lockPath = path.join(paths.migrationsDir, 'migration_lock.toml');
  const lockfile = existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null;
  const entries = await readdir(paths.migrationsDir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrations = [];
  for (const name of names) {
    const file = path.join(paths.migrationsDir, name, 'migration.sql');
    if (existsSync(file)) migrations.push({ name, sql: await readFile(file, 'utf8') });
  }
  return { lockfile, migrations };
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** Writes a new migration folder (and the lock file if missing); the name sorts after all existing ones. */
export async function writeMigration(paths: PrismaPaths, name: string, sql: string, existing: MigrationsOnDisk) {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'migration';
  let ts = timestamp();
  const last = existing.migrations.at(-1)?.name.slice(0, 14);
  // Two migrations in the same second (or a clock behind the last one) must still apply in order.
  if (last && /^\d{14}$/.test(last) && ts <= last) ts = String(BigInt(last) + 1n);
  const dirName = `${ts}_${slug}`;
  const dir = path.join(paths.migrationsDir, dirName);
  await mkdir(dir, { recursive: true });
  if (!existing.lockfile) await writeFile(path.join(paths.migrationsDir, 'migration_lock.toml'), LOCKFILE);
  await writeFile(path.join(dir, 'migration.sql'), sql.endsWith('\n') ? sql : `${sql}\n`);
  return { name: dirName, dir, sql };
}
