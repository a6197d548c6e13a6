// CTIDs: cluster-wide unique, handed out from a counter row (Setting 've.nextCtid'), never reused.
import type { Prisma } from '@/server/db/client';
import { AppError } from '@/server/errors';

export const FIRST_CTID = 101;
const KEY = 've.nextCtid';

/**
 * Returns the CTID for a new VE inside `tx`: `wanted` if free, else the next free one >= 101.
 * The counter row stays locked until `tx` ends, so concurrent creates are serialised here (which
 * also makes placement see the VEs created just before). A rolled-back create leaves no gap.
 */
export async function allocateCtid(tx: Prisma.TransactionClient, wanted?: number): Promise<number> {
  // Made if missing and locked (DO UPDATE takes the row lock as FOR UPDATE would) in one statement.
  const [row] = await tx.$queryRaw<Array<{ next: number }>>`
    INSERT INTO "Setting" (key, value, "updatedAt") VALUES (${KEY}, ${String(FIRST_CTID)}::jsonb, now())
    ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
    RETURNING (value #>> '{}')::int AS next`;
  const taken = async (c: number) => (await tx.ve.count({ where: { ctid: c } })) > 0;
  if (wanted !== undefined) {
    if (await taken(wanted)) throw new AppError('CONFLICT', `CTID ${wanted} is already in use`, { field: 'ctid' });
    return wanted;
  }
  let c = Math.max(row?.next ?? FIRST_CTID, FIRST_CTID);
  while (await taken(c)) c++; // only explicit CTIDs can be ahead of the counter
  await tx.$executeRaw`UPDATE "Setting" SET value = ${String(c + 1)}::jsonb, "updatedAt" = now() WHERE key = ${KEY}`;
  return c;
}
