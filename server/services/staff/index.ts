// Staff accounts (User.role = admin): list, create, disable, change role, reset the second factor.
// The last enabled owner can be neither disabled nor demoted, so the panel always has someone in charge.
import { z } from 'zod';
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { createUser, generatePassword } from '@/server/services/auth/users';
import { revokeUserSessions } from '@/server/services/auth/sessions';
import { STAFF_ROLES, type StaffRole } from '@/server/services/auth/roles';
import { parseOrBadInput } from '@/server/services/plans/limits';

export const StaffRoleInput = z.enum(STAFF_ROLES);
export const CreateStaffInput = z.object({
  email: z.string().trim().min(3).max(254).email('not an e-mail address'),
  name: z.string().trim().min(1).max(120).optional(),
  adminRole: StaffRoleInput,
});

const select = { id: true, email: true, name: true, adminRole: true, disabled: true, totpEnabled: true, lastLoginAt: true, createdAt: true } as const;
// Same key as ensureAdmin's: owner changes and first-start admin creation never interleave.
const STAFF_LOCK_KEY = 0x767a_0001;
const LAST_OWNER = 'The last owner cannot be disabled or demoted; make another owner first';

type Tx = Prisma.TransactionClient;

const shape = <T extends { adminRole: StaffRole | null }>(u: T) => ({ ...u, adminRole: u.adminRole ?? ('admin' as StaffRole) });

async function load(prisma: PrismaClient | Tx, id: string) {
  const u = await prisma.user.findFirst({ where: { id, role: 'admin' }, select });
  if (!u) throw new AppError('NOT_FOUND', 'Staff account not found');
  return shape(u);
}

export async function listStaff(prisma: PrismaClient) {
  const rows = await prisma.user.findMany({ where: { role: 'admin' }, select, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(shape);
}

/**
 * Creates a staff account. Browser roles get a generated password returned ONCE (show it, never
 * store or log it); billing accounts get none, they only hold API keys.
 */
export async function createStaff(prisma: PrismaClient, raw: z.input<typeof CreateStaffInput>) {
  const i = parseOrBadInput(CreateStaffInput, raw);
  const password = i.adminRole === 'billing' ? undefined : generatePassword();
  const u = await createUser(prisma, { email: i.email, name: i.name, role: 'admin', adminRole: i.adminRole, password });
  return { staff: await load(prisma, u.id), password: password ?? null };
}

/** Runs `change` on staff `id` under the staff lock, refusing it if it leaves no enabled owner. */
async function guardedChange(prisma: PrismaClient, id: string, change: (tx: Tx) => Promise<void>) {
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${STAFF_LOCK_KEY}::bigint)`;
    const before = await load(tx, id);
    await change(tx);
    // Only a change to an enabled owner can leave the panel without one.
    if (before.adminRole !== 'owner' || before.disabled) return;
    const owners = await tx.user.count({ where: { role: 'admin', adminRole: 'owner', disabled: false } });
    if (owners === 0) throw new AppError('CONFLICT', LAST_OWNER);
  });
  return load(prisma, id);
}

/** Disables (ending every session at once) or re-enables a staff account; never your own. */
export async function setStaffDisabled(prisma: PrismaClient, actorId: string, id: string, disabled: boolean) {
  if (disabled && actorId === id) throw new AppError('BAD_INPUT', 'You cannot disable your own account; ask another owner');
  const u = await guardedChange(prisma, id, async (tx) => {
    await tx.user.update({ where: { id }, data: { disabled } });
  });
  if (disabled) await revokeUserSessions(prisma, id);
  return u;
}

/** Changes a staff account's role; their sessions end so the new rights apply from the next sign-in. */
export async function setStaffRole(prisma: PrismaClient, id: string, adminRole: StaffRole) {
  parseOrBadInput(StaffRoleInput, adminRole, 'adminRole');
  const u = await guardedChange(prisma, id, async (tx) => {
    await tx.user.update({ where: { id }, data: { adminRole } });
  });
  await revokeUserSessions(prisma, id);
  return u;
}

/** Removes a staff member's TOTP and backup codes (lost phone); they sign in with the password and may enrol again. */
export async function resetStaffSecondFactor(prisma: PrismaClient, id: string) {
  await load(prisma, id);
  await prisma.user.update({ where: { id }, data: { totpEnabled: false, totpSecret: null, totpLastStep: null, backupCodeHashes: [] } });
  await revokeUserSessions(prisma, id);
  return load(prisma, id);
}
