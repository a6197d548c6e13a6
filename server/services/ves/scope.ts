// Who is acting, and the one owner-scoped where-builder every customer read and write goes through.
import type { Prisma } from '@/server/db/client';

/** Who asked for an action: a signed-in user, or a billing API key (recorded on the Task). */
export interface Actor {
  role: 'admin' | 'customer' | 'apiKey';
  userId?: string | null;
  apiKeyId?: string | null;
}

/**
 * The VEs `user` may see and act on as a customer: only the ones they own. Every customer-facing
 * query must AND this into its where, so another customer's VE id behaves exactly like a missing
 * one (NOT_FOUND, same message). Admin tools that list every VE do not use it.
 */
export function ownerScope(user: { id: string }): { ownerId: string } & Prisma.VeWhereInput {
  if (!user.id) throw new Error('ownerScope needs a user id'); // an empty id must never widen the scope
  return { ownerId: user.id };
}

/** `where` narrowed to `scope` (undefined scope = admin, everything). */
export function scoped(where: Prisma.VeWhereInput, scope?: Prisma.VeWhereInput): Prisma.VeWhereInput {
  return scope ? { AND: [scope, where] } : where;
}

/** The one message for a VE that is missing or not yours; ids are not echoed so both read the same. */
export const VE_NOT_FOUND = 'VE not found';
