// A signed-in user changes their own password.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { hashPassword, verifyPassword } from './password';
import { revokeUserSessions } from './sessions';
import { RULES, throttleAttempt, throttleReset } from './rateLimit';
import { MIN_PASSWORD_LENGTH } from './users';

/**
 * Sets a new password for `userId` after checking the current one, then ends every other session
 * of theirs (`keepSessionId` stays signed in). Wrong current passwords count like TOTP guesses, so
 * a stolen session cannot grind the password. Returns how many sessions ended.
 */
export async function changeOwnPassword(
  prisma: PrismaClient,
  userId: string,
  keepSessionId: string,
  input: { currentPassword: string; newPassword: string },
): Promise<number> {
  if (input.newPassword.length < MIN_PASSWORD_LENGTH) throw new AppError('BAD_INPUT', `Password must be at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'newPassword' });
  if (input.newPassword === input.currentPassword) throw new AppError('BAD_INPUT', 'The new password must differ from the current one', { field: 'newPassword' });
  const key = `pwchange:${userId}`;
  await throttleAttempt(prisma, key, RULES.totp);
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { passwordHash: true } });
  // An account without a password (made by billing) sets its first one through a reset, not here.
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw new AppError('BAD_INPUT', 'The current password is not right', { field: 'currentPassword' });
  }
  await throttleReset(prisma, [key]);
  await prisma.user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(input.newPassword) } });
  return revokeUserSessions(prisma, userId, keepSessionId);
}
