import { isIP } from 'node:net';
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';

/** How many attempts a key gets per window, and how long it is locked after that (doubling per lockout). */
export interface ThrottleRule {
  limit: number;
  windowMs: number;
  lockMs: number;
  maxLockMs: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * The sign-in rules. One address guessing one account is stopped first (ipEmail), one address
 * spraying many accounts next (ip); the per-account rule is a backstop against many addresses and
 * sits well above what one address may send, so one attacker cannot lock the owner out everywhere.
 */
export const RULES = {
  loginIpEmail: { limit: 10, windowMs: 15 * MIN, lockMs: 5 * MIN, maxLockMs: 4 * HOUR },
  loginIp: { limit: 30, windowMs: 15 * MIN, lockMs: 15 * MIN, maxLockMs: 24 * HOUR },
  loginEmail: { limit: 100, windowMs: 15 * MIN, lockMs: 5 * MIN, maxLockMs: HOUR },
  /** Second factor, per user, across tickets and totp.disable. */
  totp: { limit: 10, windowMs: HOUR, lockMs: 5 * MIN, maxLockMs: 24 * HOUR },
} satisfies Record<string, ThrottleRule>;

/**
 * The key part for a client address: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 as its /64,
 * since one host usually holds a whole /64.
 */
export function addressKey(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1];
  if (isIP(ip) !== 6) return ip || 'unknown';
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const full = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${full.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

function limited(until: Date): AppError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  return new AppError('RATE_LIMITED', `Too many failed attempts; try again in ${seconds} s`, { retryAfterSeconds: seconds });
}

/**
 * Counts one attempt on `key` before the caller checks the secret (so parallel guesses count too)
 * and throws RATE_LIMITED while the key is locked or when this attempt goes over the limit, which
 * locks it for lockMs x 2^lockouts. Atomic across panel processes: the row lock orders the updates.
 * `onLock` runs once per new lockout, before the error is thrown.
 */
export async function throttleAttempt(prisma: PrismaClient, key: string, rule: ThrottleRule, onLock?: (h: { lockedUntil: Date }) => Promise<void>): Promise<void> {
  const [row] = await prisma.$queryRaw<{ failures: number; lockedUntil: Date | null; locked: boolean }[]>`
    INSERT INTO "AuthThrottle" AS t (key, failures, "windowStart", lockouts, "updatedAt")
    VALUES (${key}, 1, now(), 0, now())
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t."lockedUntil" > now() THEN t.failures
                      WHEN t."windowStart" <= now() - ${rule.windowMs} * interval '1 millisecond' THEN 1
                      ELSE t.failures + 1 END,
      "windowStart" = CASE WHEN t."lockedUntil" > now() OR t."windowStart" > now() - ${rule.windowMs} * interval '1 millisecond'
                           THEN t."windowStart" ELSE now() END,
      lockouts = CASE WHEN t."updatedAt" < now() - interval '1 day' THEN 0 ELSE t.lockouts END,
      "updatedAt" = now()
    RETURNING failures, "lockedUntil", coalesce("lockedUntil" > now(), false) AS locked`;
  if (row.locked) throw limited(row.lockedUntil!);
  if (row.failures <= rule.limit) return;
  // Over the limit: lock (only one of several racing attempts does; the others are refused all the same).
  const [lock] = await prisma.$queryRaw<{ lockedUntil: Date }[]>`
    UPDATE "AuthThrottle" SET
      "lockedUntil" = now() + least(${rule.lockMs}::float8 * power(2, lockouts), ${rule.maxLockMs}::float8) * interval '1 millisecond',
      lockouts = lockouts + 1, failures = 0, "windowStart" = now()
    WHERE key = ${key} AND failures > ${rule.limit} AND ("lockedUntil" IS NULL OR "lockedUntil" <= now())
    RETURNING "lockedUntil"`;
  if (lock) await onLock?.({ lockedUntil: lock.lockedUntil });
  throw limited(lock?.lockedUntil ?? new Date(Date.now() + rule.lockMs));
}

/** Gives back one attempt counted by throttleAttempt (it turned out to be a success). */
export async function throttleRelease(prisma: PrismaClient, key: string): Promise<void> {
  await prisma.$executeRaw`UPDATE "AuthThrottle" SET failures = greatest(failures - 1, 0) WHERE key = ${key}`;
}

/** Forgets a key entirely: failures, lockout and back-off (a proven success, or an admin unlock). */
export async function throttleReset(prisma: PrismaClient, keys: string[]): Promise<void> {
  await prisma.authThrottle.deleteMany({ where: { key: { in: keys } } });
}

/** Drops rows that have been quiet for two days and are not locked (called with the session purge). */
export async function purgeThrottle(prisma: PrismaClient): Promise<number> {
  const r = await prisma.$executeRaw`DELETE FROM "AuthThrottle" WHERE "updatedAt" < now() - interval '2 days' AND ("lockedUntil" IS NULL OR "lockedUntil" < now())`;
  return r;
}
