import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { verifyPassword } from './password';
import { generateTotpSecret, totpUri, verifyTotp } from './totp';
import { randomBase32, sha256Hex } from './tokens';
import { revokeUserSessions } from './sessions';
import { RULES, throttleAttempt, throttleReset } from './rateLimit';
import { writeAudit } from '@/server/services/audit';

export const BACKUP_CODE_COUNT = 10;

function newBackupCode(): string {
  const raw = randomBase32(10); // 16 chars, 80 bits
  return `${raw.slice(0, 8)}-${raw.slice(8, 16)}`;
}

function hashBackupCode(code: string): string {
  return sha256Hex(code.trim().toLowerCase().replace(/[\s-]/g, ''));
}

/**
 * Starts TOTP enrolment: stores a new secret (not yet active) and returns it with its
 * otpauth:// URI for the authenticator app. CONFLICT if 2FA is already on.
 */
export async function setupTotp(prisma: PrismaClient, userId: string): Promise<{ secret: string; uri: string }> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  if (user.totpEnabled) throw new AppError('CONFLICT', 'Two-factor authentication is already enabled');
  const secret = generateTotpSecret();
  await prisma.user.update({ where: { id: userId }, data: { totpSecret: secret } });
  return { secret, uri: totpUri(secret, user.email) };
}

/**
 * Activates TOTP once the user proves the app works with a current code. Returns the backup
 * codes in clear text, once; only their hashes are stored. Other sessions are signed out.
 */
export async function enableTotp(prisma: PrismaClient, userId: string, code: string, keepSessionId?: string): Promise<{ backupCodes: string[] }> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  if (user.totpEnabled) throw new AppError('CONFLICT', 'Two-factor authentication is already enabled');
  if (!user.totpSecret) throw new AppError('UNPROCESSABLE', 'Start the setup first (auth.totp.setup)');
  const step = verifyTotp(user.totpSecret, code);
  if (step === null) throw new AppError('BAD_INPUT', 'The code is not valid; check the time on your device', { field: 'code' });
  const backupCodes = Array.from({ length: BACKUP_CODE_COUNT }, newBackupCode);
  await prisma.user.update({ where: { id: userId }, data: { totpEnabled: true, totpLastStep: step, backupCodeHashes: backupCodes.map(hashBackupCode) } });
  await revokeUserSessions(prisma, userId, keepSessionId);
  return { backupCodes };
}

/**
 * Checks a second factor for `userId`: a current TOTP code (not replayed) or an unused backup
 * code, which is consumed atomically. Returns how it matched, or null.
 */
export async function checkSecondFactor(prisma: PrismaClient, userId: string, code: string): Promise<'totp' | 'backup' | null> {
  const user = await prisma.user.findUnique({ where: { id: userId } });
  if (!user?.totpEnabled || !user.totpSecret) return null;
  const step = verifyTotp(user.totpSecret, code);
  if (step !== null) {
    // Record the step in the same statement that checks it, so no two requests (or processes) accept one code.
    const fresh = await prisma.$executeRaw`UPDATE "User" SET "totpLastStep" = ${step} WHERE id = ${userId} AND ("totpLastStep" IS NULL OR "totpLastStep" < ${step})`;
    return fresh === 1 ? 'totp' : null;
  }
  const hash = hashBackupCode(code);
  if (!user.backupCodeHashes.includes(hash)) return null;
  // Remove in one statement so two concurrent uses of the same code cannot both succeed.
  const removed = await prisma.$executeRaw`UPDATE "User" SET "backupCodeHashes" = array_remove("backupCodeHashes", ${hash}) WHERE id = ${userId} AND ${hash} = ANY("backupCodeHashes")`;
  return removed === 1 ? 'backup' : null;
}

/**
 * Runs one second-factor check for `userId` under the per-user limit (RULES.totp), which spans
 * sign-in tickets and totp.disable alike: the attempt is counted before `check` runs, a success
 * clears the count, and each new lockout writes an `auth.totp.locked` audit entry.
 */
export async function secondFactorAttempt<T>(prisma: PrismaClient, userId: string, ip: string | undefined, check: () => Promise<T>): Promise<T> {
  const key = `totp:${userId}`;
  await throttleAttempt(prisma, key, RULES.totp, async ({ lockedUntil }) => {
    const user = await prisma.user.findUnique({ where: { id: userId }, select: { email: true } });
    await writeAudit(prisma, { actorType: 'user', actorId: userId, actorLabel: user?.email, action: 'auth.totp.locked', targetType: 'user', targetId: userId, ip, outcome: 'denied', details: { lockedUntil } });
  });
  const r = await check();
  if (r) await throttleReset(prisma, [key]);
  return r;
}

/**
 * Turns 2FA off. Requires a current code or backup code (proof of the second factor on top of
 * the live session); when `password` is given it must also be right.
 */
export async function disableTotp(prisma: PrismaClient, userId: string, input: { password?: string; code: string }, ip?: string): Promise<void> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  if (!user.totpEnabled) throw new AppError('CONFLICT', 'Two-factor authentication is not enabled');
  // The password check counts as a second-factor attempt too, so a stolen session cannot guess either freely.
  const ok = await secondFactorAttempt(prisma, userId, ip, async () => {
    if (input.password !== undefined && (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.password)))) {
      throw new AppError('BAD_INPUT', 'Wrong password', { field: 'password' });
    }
    return checkSecondFactor(prisma, userId, input.code);
  });
  if (!ok) throw new AppError('BAD_INPUT', 'The code is not valid', { field: 'code' });
  await prisma.user.update({ where: { id: userId }, data: { totpEnabled: false, totpSecret: null, totpLastStep: null, backupCodeHashes: [] } });
}

export function remainingBackupCodes(user: { backupCodeHashes: string[] }): number {
  return user.backupCodeHashes.length;
}
