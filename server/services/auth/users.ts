import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { hashPassword } from './password';
import type { StaffRole } from './roles';

export const MIN_PASSWORD_LENGTH = 10;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A random 20-character password from an unambiguous alphabet (about 115 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('BAD_INPUT', `Password must be at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
  }
}

/** Creates a user with an argon2id password hash. CONFLICT when the e-mail is taken. */
export async function createUser(
  prisma: PrismaClient,
  input: { email: string; password?: string; name?: string; role?: 'admin' | 'customer'; adminRole?: StaffRole; externalId?: string },
) {
  const email = normalizeEmail(input.email);
  if (input.password !== undefined) checkPassword(input.password);
  const existing = await prisma.user.findUnique({ where: { email } });
  if (existing) throw new AppError('CONFLICT', `A user with e-mail ${email} already exists`, { field: 'email' });
  return prisma.user.create({
    data: {
      email,
      name: input.name ?? email.split('@')[0],
      role: input.role ?? 'customer',
      adminRole: input.role === 'admin' ? (input.adminRole ?? 'admin') : null,
      passwordHash: input.password === undefined ? null : await hashPassword(input.password),
      externalId: input.externalId,
    },
  });
}

// Arbitrary constant: serialises first-start admin creation across concurrently starting panels.
const ADMIN_LOCK_KEY = 0x767a_0001;

/**
 * Makes sure one admin exists. On an empty database it creates `email` with `password` (or a
 * generated one, returned so the caller can print it once). If any admin exists it changes
 * nothing and returns that admin's e-mail: never a second admin, never a silent reset.
 */
export async function ensureAdmin(
  prisma: PrismaClient,
  opts: { email?: string; password?: string } = {},
): Promise<{ created: boolean; email: string; password?: string }> {
  const password = opts.password ?? generatePassword();
  checkPassword(password);
  const passwordHash = await hashPassword(password);
  const email = normalizeEmail(opts.email ?? 'admin@localhost');
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_LOCK_KEY}::bigint)`;
    const admin = await tx.user.findFirst({ where: { role: 'admin' }, orderBy: { createdAt: 'asc' } });
    if (admin) return { created: false, email: admin.email };
    const clash = await tx.user.findUnique({ where: { email } });
    if (clash) throw new AppError('CONFLICT', `User ${email} exists but is not an admin; choose another VZPANEL_ADMIN_EMAIL`);
    await tx.user.create({ data: { email, name: 'Administrator', role: 'admin', adminRole: 'owner', passwordHash } });
    return { created: true, email, password };
  });
}
