// Billing customers: upsert by the billing system's client id, and one-time portal login links.
import { z } from 'zod';
import { Prisma, type PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { createUser, normalizeEmail } from '@/server/services/auth/users';
import { newToken, sha256Hex } from '@/server/services/auth/tokens';
import { parseOrBadInput } from '@/server/services/plans/limits';
import { NO_CONTROL } from './validate';
import { deleteCustomerWhere } from '@/server/services/customers/delete';

export const ExternalId = z.string().trim().min(1).max(200).regex(NO_CONTROL, 'no control characters');
export const UpsertCustomerInput = z.object({
  email: z.string().trim().min(3).max(254).email('not an e-mail address'),
  name: z.string().trim().min(1).max(120).optional(),
});

/** How long a portal login link works, and it works once. */
export const LOGIN_TOKEN_TTL_MS = 5 * 60_000;

const select = { id: true, email: true, name: true, externalId: true, disabled: true, createdAt: true } as const;

/**
 * Creates or updates the customer whose billing client id is `externalId` (no password: they log
 * in through one-time links). Refuses to touch an admin account or another user's e-mail.
 */
export async function upsertCustomer(prisma: PrismaClient, externalId: string, raw: z.input<typeof UpsertCustomerInput>) {
  const ext = parseOrBadInput(ExternalId, externalId, 'externalId');
  const i = parseOrBadInput(UpsertCustomerInput, raw);
  const email = normalizeEmail(i.email);
  const existing = await prisma.user.findUnique({ where: { externalId: ext } });
  try {
    if (!existing) {
      const u = await createUser(prisma, { email, name: i.name, externalId: ext, role: 'customer' });
      return { customer: await prisma.user.findUniqueOrThrow({ where: { id: u.id }, select }), created: true };
    }
    if (existing.role !== 'customer') throw new AppError('CONFLICT', 'This external id belongs to a non-customer account', { field: 'externalId' });
    const customer = await prisma.user.update({ where: { id: existing.id }, data: { email, ...(i.name ? { name: i.name } : {}) }, select });
    return { customer, created: false };
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') throw new AppError('CONFLICT', `Another user has the e-mail ${email}`, { field: 'email' });
    throw e;
  }
}

/** The customer with billing id `externalId`, or NOT_FOUND. */
export async function customerByExternalId(prisma: PrismaClient, externalId: string) {
  const u = await prisma.user.findUnique({ where: { externalId }, select: { ...select, role: true } });
  if (!u || u.role !== 'customer') throw new AppError('NOT_FOUND', 'Customer not found');
  return u;
}

/**
 * Issues a single-use portal login link for a customer (never an admin: a billing key must not be
 * able to mint admin sessions). Only the token's sha256 is stored; the token is returned once.
 */
export async function issueLoginToken(prisma: PrismaClient, externalId: string, apiKeyId: string | null) {
  const u = await customerByExternalId(prisma, parseOrBadInput(ExternalId, externalId, 'externalId'));
  if (u.disabled) throw new AppError('UNPROCESSABLE', 'Customer account is disabled');
  const token = newToken();
  const expiresAt = new Date(Date.now() + LOGIN_TOKEN_TTL_MS);
  await prisma.loginToken.create({ data: { tokenHash: sha256Hex(token), userId: u.id, apiKeyId, expiresAt } });
  return { customerId: u.id, token, url: `/auth/token/${token}`, expiresAt };
}

/**
 * Redeems a login token: marks it used in the same UPDATE that checks it is unused and unexpired,
 * so two concurrent redemptions cannot both succeed. Returns the customer's user id, or null.
 */
/** The customer a live, unused login token would sign in (without using it up), or null. */
export async function peekLoginToken(prisma: PrismaClient, token: string): Promise<{ id: string; email: string } | null> {
  if (!token || token.length > 200) return null;
  const t = await prisma.loginToken.findUnique({ where: { tokenHash: sha256Hex(token) }, select: { usedAt: true, expiresAt: true, user: { select: { id: true, email: true, role: true, disabled: true } } } });
  if (!t || t.usedAt || t.expiresAt.getTime() <= Date.now() || t.user.role !== 'customer' || t.user.disabled) return null;
  return { id: t.user.id, email: t.user.email };
}

export async function consumeLoginToken(prisma: PrismaClient, token: string): Promise<string | null> {
  if (!token || token.length > 200) return null;
  const rows = await prisma.$queryRaw<Array<{ userId: string }>>`
    UPDATE "LoginToken" t SET "usedAt" = now() FROM "User" u
     WHERE t."tokenHash" = ${sha256Hex(token)} AND t."usedAt" IS NULL AND t."expiresAt" > now()
       AND u.id = t."userId" AND u.role = 'customer' AND NOT u.disabled
    RETURNING t."userId"`;
  return rows[0]?.userId ?? null;
}

/** Deletes the customer with billing id `externalId` (refused while they own a VE; see deleteCustomerWhere). */
export async function deleteCustomer(prisma: PrismaClient, externalId: string) {
  const ext = parseOrBadInput(ExternalId, externalId, 'externalId');
  const r = await deleteCustomerWhere(prisma, { externalId: ext }, ext);
  return { id: r.id, externalId: ext, deleted: r.deleted };
}
