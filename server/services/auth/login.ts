import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { writeAudit } from '@/server/services/audit';
import { burnPasswordCheck, verifyPassword } from './password';
import { createSession, findTotpTicket, revokeSessionById } from './sessions';
import { checkSecondFactor, secondFactorAttempt } from './twoFactor';
import { addressKey, RULES, throttleAttempt, throttleRelease, throttleReset } from './rateLimit';
import { normalizeEmail } from './users';
import { canUseBrowser, staffRoleOf } from './roles';

interface ClientMeta {
  ip?: string;
  userAgent?: string;
}

export type LoginResult =
  | { kind: 'session'; token: string; expiresAt: Date; userId: string }
  | { kind: 'totp'; ticket: string; expiresAt: Date };

const BAD_CREDENTIALS = 'Wrong e-mail or password';
// Codes one ticket may take before it is revoked (the per-user limit in RULES.totp spans all tickets).
const TICKET_RULE = { limit: 5, windowMs: 5 * 60_000, lockMs: 5 * 60_000, maxLockMs: 5 * 60_000 };

/** The throttle keys of one password attempt, narrowest first: that is the order they lock in. */
export function loginKeys(email: string, ip: string | undefined) {
  const addr = addressKey(ip ?? 'unknown');
  return { ipEmail: `login:ipemail:${addr}|${email}`, ip: `login:ip:${addr}`, email: `login:email:${email}` };
}

async function countLoginAttempt(prisma: PrismaClient, email: string, meta: ClientMeta) {
  const keys = loginKeys(email, meta.ip);
  const audit = (scope: string) => async ({ lockedUntil }: { lockedUntil: Date }) =>
    writeAudit(prisma, { actorType: 'user', actorLabel: email, action: 'auth.login.locked', targetType: 'user', targetId: email, ip: meta.ip, userAgent: meta.userAgent, outcome: 'denied', details: { scope, lockedUntil } });
  await throttleAttempt(prisma, keys.ipEmail, RULES.loginIpEmail, audit('address+account'));
  await throttleAttempt(prisma, keys.ip, RULES.loginIp, audit('address'));
  await throttleAttempt(prisma, keys.email, RULES.loginEmail, audit('account'));
  return keys;
}

/**
 * First login step. Wrong e-mail and wrong password give the same error and take the same
 * time. Every attempt counts against the client's address, the address+account pair and the
 * account (Postgres, shared by all panel processes); a right password gives its attempt back.
 * Users with TOTP get a short-lived ticket instead of a session.
 */
export async function loginWithPassword(prisma: PrismaClient, input: { email: string; password: string }, meta: ClientMeta): Promise<LoginResult> {
  const email = normalizeEmail(input.email);
  const keys = await countLoginAttempt(prisma, email, meta);
  const user = await prisma.user.findUnique({ where: { email } });
  if (!user?.passwordHash || user.disabled) {
    await burnPasswordCheck(input.password);
    throw new AppError('UNAUTHENTICATED', BAD_CREDENTIALS);
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) throw new AppError('UNAUTHENTICATED', BAD_CREDENTIALS);
  // Told only to someone who knows the password: billing accounts work through API keys alone.
  if (!canUseBrowser(staffRoleOf(user))) throw new AppError('FORBIDDEN', 'This is an API-only billing account; it cannot sign in to the panel');
  await throttleReset(prisma, [keys.ipEmail]);
  await throttleRelease(prisma, keys.ip);
  await throttleRelease(prisma, keys.email);
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
 * is single-use and dies after five wrong codes; wrong codes also count per user across all
 * tickets (secondFactorAttempt), so a right password does not buy fresh guesses.
 */
export async function completeTotpLogin(prisma: PrismaClient, input: { ticket: string; code: string }, meta: ClientMeta) {
  const row = await findTotpTicket(prisma, input.ticket);
  if (!row) throw new AppError('UNAUTHENTICATED', 'The sign-in attempt expired; enter your password again');
  try {
    await throttleAttempt(prisma, `totp:ticket:${row.id}`, TICKET_RULE);
  } catch (e) {
    await revokeSessionById(prisma, row.id);
    throw e;
  }
  const how = await secondFactorAttempt(prisma, row.userId, meta.ip, () => checkSecondFactor(prisma, row.userId, input.code));
  if (!how) throw new AppError('BAD_INPUT', 'The code is not valid', { field: 'code' });
  // Consume the ticket; a concurrent request that already did so gets nothing.
  const used = await prisma.session.deleteMany({ where: { id: row.id, pendingTotp: true } });
  if (used.count !== 1) throw new AppError('UNAUTHENTICATED', 'The sign-in attempt expired; enter your password again');
  const s = await createSession(prisma, row.userId, meta);
  await prisma.user.update({ where: { id: row.userId }, data: { lastLoginAt: new Date() } });
  return { token: s.token, expiresAt: s.expiresAt, userId: row.userId, usedBackupCode: how === 'backup' };
}
