// Prisma client factory: Prisma 7 talks to Postgres through the node-postgres driver adapter.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

// Re-exported so callers import models, enums (VeState, Role…) and the Prisma namespace from one place.
export * from './generated/prisma/client';

/** A new PrismaClient for `url` (its own pg pool; call `$disconnect()` when done). */
export function createPrisma(url: string, opts: { max?: number } = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: url, max: opts.max ?? 10 });
  // A burst of requests (100 power actions at once, a billing module's cron) queues for a pooled
  // connection instead of failing: Prisma's default 2 s wait to start a transaction was too short on a
  // busy 2-core node (faults.int.test.ts "100 parallel power actions" failed with "Unable to start a
  // transaction in the given time").
  const client = new PrismaClient({ adapter, transactionOptions: { maxWait: 30_000, timeout: 30_000 } });
  urls.set(client, url);
  return client;
}

// Which database a client talks to, for side connections that must watch the same one (LISTEN).
const urls = new WeakMap<PrismaClient, string>();

/** The URL a client from createPrisma was made for; undefined for clients made elsewhere. */
export function databaseUrlOf(client: PrismaClient): string | undefined {
  return urls.get(client);
}

// Kept on globalThis so Next dev hot reloads do not open a new pool each time.
const g = globalThis as unknown as { __vzPrisma?: PrismaClient };

/** Process-wide client for process.env.DATABASE_URL (set by server/main.ts, embedded DB or not). */
export function getPrisma(): PrismaClient {
  if (!g.__vzPrisma) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set (server/main.ts sets it before using the database)');
    g.__vzPrisma = createPrisma(url);
  }
  return g.__vzPrisma;
}
