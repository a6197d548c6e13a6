// Idempotency-Key for billing creates: the (key, apiKeyId) row is claimed inside the create's own
// transaction, so a retry replays the first answer and concurrent duplicates wait for the first one.
import { scryptSync } from 'node:crypto';
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError, isAppError } from '@/server/errors';
import { sha256Hex } from '@/server/services/auth/tokens';

/** How long a key is remembered; a later reuse starts afresh. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/** Checks the header value: 1..255 printable ASCII characters, no spaces. */
export function parseIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!KEY_RE.test(key)) throw new AppError('BAD_INPUT', 'Idempotency-Key: 1 to 255 printable ASCII characters without spaces', { field: 'Idempotency-Key' });
  return key;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * Fingerprint of a request body. A password is first stretched with scrypt (salted by key and API
 * key), so the stored fingerprint cannot be used to guess it quickly.
 */
export function requestFingerprint(route: string, body: Record<string, unknown>, key: string, apiKeyId: string): string {
  const safe = { ...body };
  if (typeof safe.password === 'string') safe.password = scryptSync(safe.password, `${apiKeyId}:${key}`, 32).toString('hex');
  return sha256Hex(`${route}\n${canonical(safe)}`);
}

const REPLAY = 'idempotency-replay';

async function replayOrRefuse<T>(prisma: PrismaClient, key: string, apiKeyId: string, hash: string): Promise<T | undefined> {
  const row = await prisma.idempotencyKey.findUnique({ where: { key_apiKeyId: { key, apiKeyId } } });
  if (!row) return undefined;
  if (row.createdAt.getTime() < Date.now() - IDEMPOTENCY_TTL_MS) {
    await prisma.idempotencyKey.deleteMany({ where: { id: row.id } });
    return undefined;
  }
  if (row.requestHash !== hash) {
    throw new AppError('UNPROCESSABLE', 'Idempotency-Key was already used with different parameters', { field: 'Idempotency-Key' });
  }
  if (row.response === null) throw new AppError('CONFLICT', 'A request with this Idempotency-Key is still in progress; retry shortly', { field: 'Idempotency-Key' });
  return row.response as T;
}

export interface IdempotentRun<T> {
  /** Run inside the work's transaction before anything else: claims the key or aborts as a replay. */
  begin(tx: Prisma.TransactionClient): Promise<void>;
  /** Run inside it last: stores the answer a retry will get. */
  end(tx: Prisma.TransactionClient, response: T): Promise<void>;
}

/**
 * Runs `work` at most once per (key, apiKeyId): a repeat with the same fingerprint gets the stored
 * response, with another fingerprint 422, while the first is still running 409. Without a key,
 * `work` simply runs. `work` must call begin/end inside its transaction.
 */
export async function withIdempotency<T>(
  prisma: PrismaClient,
  opts: { key: string | undefined; apiKeyId: string; fingerprint: string },
  work: (hooks: IdempotentRun<T> | undefined) => Promise<T>,
): Promise<T> {
  const { key, apiKeyId, fingerprint } = opts;
  if (!key) return work(undefined);
  const earlier = await replayOrRefuse<T>(prisma, key, apiKeyId, fingerprint);
  if (earlier !== undefined) return earlier;
  const hooks: IdempotentRun<T> = {
    async begin(tx) {
      // Waits for a concurrent transaction holding the same key; claims nothing if that one committed.
      const got = await tx.$queryRaw<Array<{ id: string }>>`
        INSERT INTO "IdempotencyKey" (id, key, "apiKeyId", "requestHash", "createdAt")
        VALUES (gen_random_uuid()::text, ${key}, ${apiKeyId}, ${fingerprint}, now())
        ON CONFLICT (key, "apiKeyId") DO NOTHING RETURNING id`;
      if (!got.length) throw new AppError('CONFLICT', REPLAY);
    },
    async end(tx, response) {
      await tx.idempotencyKey.update({ where: { key_apiKeyId: { key, apiKeyId } }, data: { response: response as Prisma.InputJsonValue, statusCode: 200 } });
    },
  };
  try {
    return await work(hooks);
  } catch (e) {
    if (!(isAppError(e) && e.message === REPLAY)) throw e;
    const again = await replayOrRefuse<T>(prisma, key, apiKeyId, fingerprint);
    if (again === undefined) throw new AppError('CONFLICT', 'A request with this Idempotency-Key is still in progress; retry shortly', { field: 'Idempotency-Key' });
    return again;
  }
}
