// The one way a request takes a VE: lock its row inside the caller's transaction, inside the
// actor's scope, and refuse it while another operation owns it. Every request that queues work on
// an existing VE goes through here, so the busy rule and the owner scope cannot drift apart.
import type { Prisma, VeState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { ownerScope, scoped, VE_NOT_FOUND, type Actor } from './scope';

/** States in which another operation owns the VE; anything queued now would fight it. */
export const BUSY_STATES: readonly VeState[] = ['creating', 'destroying', 'migrating', 'reinstalling', 'restoring'];

// How a busy state reads in the refusal (the state's name where that says it plainly).
const DOING: Partial<Record<VeState, string>> = { restoring: 'being restored from a backup' };

export interface LockOptions<I extends Prisma.VeInclude> {
  /** Customers are always limited to their own VEs (derived here, never passed in by the caller). */
  actor: Actor;
  include?: I;
  /** Busy states this request may act in anyway (e.g. a destroy may cancel a create that failed). */
  allowBusy?: readonly VeState[];
}

/**
 * Locks the VE row (FOR UPDATE) and returns it. A VE outside the actor's scope is NOT_FOUND with
 * the same message as a missing one; a busy VE is BUSY with a plain reason.
 */
export async function lockVe<I extends Prisma.VeInclude = Record<string, never>>(tx: Prisma.TransactionClient, veId: string, opts: LockOptions<I>): Promise<Prisma.VeGetPayload<{ include: I }>> {
  const scope = opts.actor.role === 'customer' ? ownerScope({ id: opts.actor.userId ?? '' }) : undefined;
  let id: string | undefined;
  if (scope) {
    id = (await tx.ve.findFirst({ where: scoped({ id: veId }, scope), select: { id: true } }))?.id;
    if (id) await tx.$queryRaw`SELECT 1 FROM "Ve" WHERE id = ${id} FOR UPDATE`;
  } else {
    // Unscoped (admins, their keys): the locking read alone says whether it exists (one statement
    // less per request; a fleet-wide power action makes thousands).
    id = (await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Ve" WHERE id = ${veId} FOR UPDATE`)[0]?.id;
  }
  if (!id) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  const ve = (await tx.ve.findUniqueOrThrow({ where: { id }, include: opts.include })) as Prisma.VeGetPayload<{ include: I }>;
  if (BUSY_STATES.includes(ve.state) && !opts.allowBusy?.includes(ve.state)) throw new AppError('BUSY', `VE ${ve.ctid} is ${DOING[ve.state] ?? ve.state}; try again when that has finished`, { state: ve.state });
  return ve;
}

/** The task fields that name who asked. */
export const actorFields = (a: Actor) => ({ userId: a.userId ?? null, apiKeyId: a.apiKeyId ?? null });
