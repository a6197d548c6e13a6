import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { burnPasswordCheck, verifyPassword } from './password';
import { createSession, findTotpTicket, revokeSessionById } from './sessions';
import { checkSecondFactor } from './twoFactor';
import { FailureLimiter } from './rateLimit';
import { normalizeEmail } from './users';

const loginFailures = new FailureLimiter(10, 15 * 60_000);
const ticketFailures = new FailureLimiter(5, 5 * 60_000);

interface ClientMeta {
  ip?: string;
  userAgent?: string;
}

export type LoginResult =
  | { kind: 'session'; token: string; expiresAt: Date; userId: string }
  | { kind: 'totp'; ticket: string; expiresAt: Date };

const BAD_CREDENTIALS = 'Wrong e-mail or password';

/**
 * First login step. Wrong e-mail and wrong password give the same error and take the same
 * time. Users with TOTP get a short-lived ticket instead of a session.
 */
export async function loginWithPassword(prisma: PrismaClient, input: { email: string; password: string }, meta: ClientMeta): Promise<LoginResult> {
  const email = normalizeEmail(input.email);
  const key = `login:${email}`;
  loginFailures.check(key);
  const user = await prisma.user.findUnique({ where: { email } });
  if (!user?.passwordHash || user.disabled) {
    await burnPasswordCheck(input.password);
    loginFailures.fail(key);
    throw new AppError('UNAUTHENTICATED', BAD_CREDENTIALS);
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    loginFailures.fail(key);
    throw new AppError('UNAUTHENTICATED', BAD_CREDENTIALS);
  }
  loginFailures.reset(key);
  if (user.totpEnabled) {
    const t = await createSession(prisma, user.id, { ...meta, pendingTotp: true });
    return { kind: 'totp', ticket: t.token, expiresAt: t.expiresAt };
  }
  const s = await createSession(prisma, user.id, meta);
  await prisma.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
  return { kind: 'session', token: s.token, expiresAt: s.expiresAt, userId: user.id };
}

/**
 * Second login step: trades a ticket plus a TOTP or backup code for a real session. The ticket
 * is single-use and dies after five wrong codes.
 */
export async function completeTotpLogin(prisma: PrismaClient, input: { ticket: string; code: string }, meta: ClientMeta) {
  const row = await findTotpTicket(prisma, input.ticket);
  if (!row) throw new AppError('UNAUTHENTICATED', 'The sign-in attempt expired; enter your password again');
  const key = `ticket:${row.id}`;
  try {
    ticketFailures.check(key);
  } catch (e) {
    await revokeSessionById(prisma, row.id);
    throw e;
  }
  const how = await checkSecondFactor(prisma, row.userId, input.code);
  if (!how) {
    ticketFailures.fail(key);
    throw new AppError('BAD_INPUT', 'The code is not valid', { field: 'code' });
  }
  ticketFailures.reset(key);
  // Consume the ticket; a concurrent request that already did so gets nothing.
  const used = await prisma.session.deleteMany({ where: { id: row.id, pendingTotp: true } });
  if (used.count !== 1) throw new AppError('UNAUTHENTICATED', 'The sign-in attempt expired; enter your password again');
  const s = await createSession(prisma, row.userId, meta);
  await prisma.user.update({ where: { id: row.userId }, data: { lastLoginAt: new Date() } });
  return { token: s.token, expiresAt: s.expiresAt, userId: row.userId, usedBackupCode: how === 'backup' };
}
