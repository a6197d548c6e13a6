// Customer accounts for admins: list/search, create, edit, disable (ends their sessions), password reset.
import { z } from 'zod';
import { Prisma, type PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { createUser, generatePassword, MIN_PASSWORD_LENGTH, normalizeEmail } from '@/server/services/auth/users';
import { hashPassword } from '@/server/services/auth/password';
import { revokeUserSessions } from '@/server/services/auth/sessions';
import { throttleReset } from '@/server/services/auth/rateLimit';
import { loginKeys } from '@/server/services/auth/login';
import { parseOrBadInput } from '@/server/services/plans/limits';

const Email = z.string().trim().min(3).max(254).email('not an e-mail address');
const Name = z.string().trim().min(1).max(120);
const ExternalId = z.string().trim().min(1).max(200);
const Password = z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`).max(256);

export const ListCustomersInput = z.object({
  q: z.string().trim().max(200).optional().describe('e-mail, name or external id contains'),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});
export const CreateCustomerInput = z.object({
  email: Email,
  name: Name.optional(),
  externalId: ExternalId.optional(),
  /** Omitted = a generated one, returned once. */
  password: Password.optional(),
});
export const UpdateCustomerInput = z.object({ email: Email, name: Name, externalId: ExternalId.nullable() }).partial().strict();

const select = {
  id: true, email: true, name: true, externalId: true, disabled: true, totpEnabled: true, lastLoginAt: true, createdAt: true,
  _count: { select: { ves: true } },
} as const;
export type CustomerRow = Prisma.UserGetPayload<{ select: typeof select }>;

const customerWhere = (id: string) => ({ id, role: 'customer' as const });

async function load(prisma: PrismaClient, id: string): Promise<CustomerRow> {
  const c = await prisma.user.findFirst({ where: customerWhere(id), select });
  if (!c) throw new AppError('NOT_FOUND', 'Customer not found');
  return c;
}

function conflicts<T>(p: Promise<T>): Promise<T> {
  return p.catch((e) => {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
      const field = String(e.meta?.target ?? e.message).includes('externalId') ? 'externalId' : 'email';
      throw new AppError('CONFLICT', `Another user has this ${field === 'email' ? 'e-mail' : 'external id'}`, { field });
    }
    throw e;
  });
}

export async function listCustomers(prisma: PrismaClient, raw: z.input<typeof ListCustomersInput>) {
  const f = parseOrBadInput(ListCustomersInput, raw);
  const where: Prisma.UserWhereInput = {
    role: 'customer',
    ...(f.q ? { OR: [{ email: { contains: f.q.toLowerCase() } }, { name: { contains: f.q, mode: 'insensitive' } }, { externalId: f.q }] } : {}),
  };
  const [total, items] = await Promise.all([
    prisma.user.count({ where }),
    prisma.user.findMany({ where, select, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], skip: (f.page - 1) * f.pageSize, take: f.pageSize }),
  ]);
  return { total, page: f.page, pageSize: f.pageSize, items };
}

export const getCustomer = load;

/**
 * Creates a customer login. Without a password one is generated and returned ONCE in
 * `password` (show it to the admin, never store or log it).
 */
export async function createCustomer(prisma: PrismaClient, raw: z.input<typeof CreateCustomerInput>) {
  const input = parseOrBadInput(CreateCustomerInput, raw);
  const password = input.password ?? generatePassword();
  const user = await conflicts(createUser(prisma, { email: input.email, name: input.name, externalId: input.externalId, password, role: 'customer' }));
  return { customer: await load(prisma, user.id), password: input.password ? null : password };
}

export async function updateCustomer(prisma: PrismaClient, id: string, raw: z.input<typeof UpdateCustomerInput>) {
  const patch = parseOrBadInput(UpdateCustomerInput, raw);
  await load(prisma, id);
  await conflicts(prisma.user.update({ where: { id }, data: { ...patch, ...(patch.email ? { email: normalizeEmail(patch.email) } : {}) } }));
  return load(prisma, id);
}

/** Disables (or re-enables) a customer; disabling ends every session of theirs at once. VEs keep running. */
export async function setCustomerDisabled(prisma: PrismaClient, id: string, disabled: boolean) {
  await load(prisma, id);
  await prisma.user.update({ where: { id }, data: { disabled } });
  // Their open consoles close too: the vz_console trigger announces the change (services/console/revoke.ts).
  if (disabled) await revokeUserSessions(prisma, id);
  return load(prisma, id);
}

/**
 * Sets a new login password (given, or generated and returned ONCE), clears a lockout and ends
 * the customer's sessions so the old password's sessions stop working.
 */
export async function resetCustomerPassword(prisma: PrismaClient, id: string, given?: string) {
  if (given !== undefined) parseOrBadInput(Password, given, 'password');
  const user = await load(prisma, id);
  const password = given ?? generatePassword();
  await prisma.user.update({ where: { id }, data: { passwordHash: await hashPassword(password), failedLogins: 0, lockedUntil: null } });
  // The account-wide locks go; per-address locks stay on whoever earned them.
  await throttleReset(prisma, [`totp:${id}`, loginKeys(user.email, undefined).email]);
  await revokeUserSessions(prisma, id);
  return { password: given ? null : password };
}
