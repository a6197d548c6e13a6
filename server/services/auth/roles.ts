// Staff roles: what a signed-in admin-area user may do. One place decides, trpc.ts and the UI ask it.
import type { AdminRole } from '@/server/db/client';

export type StaffRole = AdminRole;
export const STAFF_ROLES = ['owner', 'admin', 'support', 'billing'] as const satisfies readonly StaffRole[];

/** The effective staff role of a user: null for customers; a staff row without one reads as `admin`. */
export function staffRoleOf(u: { role: 'admin' | 'customer'; adminRole?: StaffRole | null }): StaffRole | null {
  if (u.role !== 'admin') return null;
  return u.adminRole ?? 'admin';
}

/** Roles that may change things (every mutation of the admin area); support only reads. */
export const canMutate = (r: StaffRole | null | undefined): boolean => r === 'owner' || r === 'admin';

/** Roles that may sign in to the browser panel at all: billing accounts exist for API keys only. */
export const canUseBrowser = (r: StaffRole | null | undefined): boolean => r !== 'billing';
