// CTIDs: cluster-wide unique, handed out from a counter row (Setting 've.nextCtid'), never reused.
import type { Prisma } from '@/server/db/client';
import { AppError } from '@/server/errors';

export const FIRST_CTID = 101;
const KEY = 've.nextCtid';

// Locks the counter row until the transaction ends and reads it; creates it once, when missing.
async function lockCounter(tx: Prisma.TransactionClient): Promise<number> {
  const read = () => tx.$queryRaw<Array<{ next: number }>>`SELECT (value #>> '{}')::int AS next FROM "Setting" WHERE key = ${KEY} FOR UPDATE`;
  let [row] = await read();
  if (!row) {
    await tx.$executeRaw`INSERT INTO "Setting" (key, value, "updatedAt") VALUES (${KEY}, ${String(FIRST_CTID)}::jsonb, now()) ON CONFLICT (key) DO NOTHING`;
    [row] = await read();
  }
  return Math.max(row?.next ?? FIRST_CTID, FIRST_CTID);
}

/**
 * Returns the CTID for a new VE inside `tx`: `wanted` if free, else the next free one >= 101.
 * The counter row stays locked until `tx` ends, so concurrent creates are serialised here (which
 * also makes placement see the VEs created just before). A rolled-back create leaves no gap.
 * Each statement after the lock sees every create committed before it (read committed), so the
 * free check and the counter's advance are one statement: two per create in all, not four.
 */
export async function allocateCtid(tx: Prisma.TransactionClient, wanted?: number): Promise<number> {
  let c = await lockCounter(tx);
  if (wanted !== undefined) {
    if ((await tx.ve.count({ where: { ctid: wanted } })) > 0) throw new AppError('CONFLICT', `CTID ${wanted} is already in use`, { field: 'ctid' });
    return wanted;
  }
  // Only explicit CTIDs can be ahead of the counter: a taken one moves on to the next.
  for (;;) {
    const advanced = await tx.$executeRaw`UPDATE "Setting" SET value = ${String(c + 1)}::jsonb, "updatedAt" = now()
      WHERE key = ${KEY} AND NOT EXISTS (SELECT 1 FROM "Ve" WHERE "veid" = ${c}::int)`;
    if (advanced) return c;
    c++;
  }
}
