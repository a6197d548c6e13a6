// Partitions of the usage tables: made ahead of time (and on demand for late batches), dropped
// whole once past retention, so expiry never runs a DELETE over millions of rows.
import type { PrismaClient } from '@/server/db/client';

const DAY = 86_400_000;

/** How long each table keeps data and how it is partitioned. */
export const TABLES = {
  raw: { keepMs: 2 * DAY, unit: 'day' },
  m5: { keepMs: 35 * DAY, unit: 'day' },
  h1: { keepMs: 400 * DAY, unit: 'month' },
  d1: { keepMs: 400 * DAY, unit: 'month' },
} as const;
export type UsageTable = keyof typeof TABLES;

const pad = (n: number) => String(n).padStart(2, '0');

/** The partition holding `ts`: its name suffix and [from, to) range (UTC). */
export function partitionOf(table: UsageTable, ts: Date): { name: string; from: Date; to: Date } {
  const y = ts.getUTCFullYear();
  const m = ts.getUTCMonth();
  if (TABLES[table].unit === 'month') {
    return { name: `${table}_${y}${pad(m + 1)}`, from: new Date(Date.UTC(y, m, 1)), to: new Date(Date.UTC(y, m + 1, 1)) };
  }
  const d = ts.getUTCDate();
  return { name: `${table}_${y}${pad(m + 1)}${pad(d)}`, from: new Date(Date.UTC(y, m, d)), to: new Date(Date.UTC(y, m, d + 1)) };
}

// Partitions known to exist in this process (creating is idempotent; this only saves round trips).
const known = new Set<string>();

/** Creates the partitions of `table` covering each of `times` (the names are generated, never user input). */
export async function ensurePartitions(prisma: PrismaClient, table: UsageTable, times: Date[]): Promise<void> {
  const parts = new Map<string, { from: Date; to: Date }>();
  for (const t of times) {
    const p = partitionOf(table, t);
    if (!known.has(p.name)) parts.set(p.name, p);
  }
  for (const [name, p] of parts) {
    // Two panel processes may race to create the same partition: the loser's error is harmless.
    await prisma
      .$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS usage.${name} PARTITION OF usage.${table} FOR VALUES FROM ('${p.from.toISOString()}') TO ('${p.to.toISOString()}')`)
      .catch((e: Error) => { if (!/already exists/.test(e.message)) throw e; });
    known.add(name);
  }
}

/** Whether `ts` is still inside `table`'s retention at `now`. */
export const retained = (table: UsageTable, ts: Date, now = new Date()) => ts.getTime() > now.getTime() - TABLES[table].keepMs;

/**
 * The retention job: creates the next partitions (3 days, 2 months ahead) and drops those whose
 * whole range is past retention; also expires old limit events. Returns what it dropped.
 */
export async function runRetention(prisma: PrismaClient, now = new Date()): Promise<string[]> {
  for (const table of Object.keys(TABLES) as UsageTable[]) {
    const ahead = TABLES[table].unit === 'day' ? [0, 1, 2, 3].map((i) => new Date(now.getTime() + i * DAY)) : [0, 32, 64].map((i) => new Date(now.getTime() + i * DAY));
    await ensurePartitions(prisma, table, ahead);
  }
  const rows = await prisma.$queryRaw<{ parent: string; child: string; bound: string }[]>`
    SELECT p.relname AS parent, c.relname AS child, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = 'usage'`;
  const dropped: string[] = [];
  for (const r of rows) {
    const table = r.parent as UsageTable;
    if (!(table in TABLES)) continue;
    const to = /TO \('([^']+)'\)/.exec(r.bound)?.[1];
    if (!to || new Date(to).getTime() > now.getTime() - TABLES[table].keepMs) continue;
    await prisma.$executeRawUnsafe(`DROP TABLE IF EXISTS usage."${r.child.replace(/"/g, '')}"`);
    known.delete(r.child);
    dropped.push(r.child);
  }
  await prisma.$executeRaw`DELETE FROM usage.event WHERE bucket < ${new Date(now.getTime() - TABLES.h1.keepMs)}`;
  return dropped;
}
