// Who may open the web console of which VE: admins any, a customer only their own, a ticket its one VE.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import type { SessionUser } from '@/server/services/auth/sessions';
import { ownerScope, scoped, VE_NOT_FOUND } from '@/server/services/ves/scope';
import { consoleOpens, consumeConsoleTicket } from './tickets';
import type { ConsoleRight } from './revoke';

const nodeSelect = {
  id: true, name: true, transport: true, vzroot: true, address: true, sshPort: true, sshUser: true, hostKey: true, hostKeyMismatch: true,
} as const;

export interface ConsoleActor {
  actorType: 'user' | 'apiKey';
  actorId: string | null;
  actorLabel: string;
  via: 'session' | 'ticket';
}

export interface ConsoleAccess {
  ve: { id: string; ctid: number; hostname: string; state: string };
  node: { id: string; name: string; transport: 'local' | 'ssh'; vzroot: string | null; address: string; sshPort: number; sshUser: string; hostKey: string | null; hostKeyMismatch: boolean };
  actor: ConsoleActor;
  /** What to recheck while the console is open (services/console/revoke.ts). */
  right: ConsoleRight;
}

// VE ids are uuids; anything else cannot name a VE and answers like a missing one.
const VE_ID = /^[0-9a-fA-F-]{1,64}$/;

/**
 * Decides whether a console for VE `veId` may open, BEFORE any WebSocket upgrade:
 * - `ticket` (a billing console URL): burnt here whatever happens next; valid only for its own VE;
 * - otherwise a session `user`: an admin opens any VE, a customer only a VE they own.
 * Throws UNAUTHENTICATED (no or bad credentials), NOT_FOUND (missing, not yours, or a ticket for
 * another VE; one message for all, so a customer cannot probe other customers' VE ids), or
 * FORBIDDEN (a suspended VE, for anyone but an admin).
 */
export async function authorizeConsole(prisma: PrismaClient, veId: string, cred: { user?: SessionUser | null; sessionId?: string; ticket?: string | null }): Promise<ConsoleAccess> {
  let actor: ConsoleActor;
  let scope;
  if (cred.ticket != null) {
    const grant = await consumeConsoleTicket(prisma, cred.ticket);
    if (!grant) throw new AppError('UNAUTHENTICATED', 'console ticket is invalid, used or expired');
    if (grant.veId !== veId) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
    actor = grant.apiKeyId
      ? { actorType: 'apiKey', actorId: grant.apiKeyId, actorLabel: 'console ticket', via: 'ticket' }
      : { actorType: 'user', actorId: grant.userId, actorLabel: 'console ticket', via: 'ticket' };
  } else if (cred.user) {
    actor = { actorType: 'user', actorId: cred.user.id, actorLabel: cred.user.email, via: 'session' };
    scope = cred.user.role === 'admin' ? undefined : ownerScope(cred.user);
  } else {
    throw new AppError('UNAUTHENTICATED', 'sign in to open a console');
  }
  if (!VE_ID.test(veId)) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  const ve = await prisma.ve.findFirst({
    where: scoped({ id: veId }, scope),
    select: { id: true, ctid: true, hostname: true, state: true, suspendMode: true, prevPowerState: true, ownerId: true, node: { select: nodeSelect } },
  });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  const { node, ownerId, suspendMode: _mode, prevPowerState: _prev, ...rest } = ve;
  const admin = actor.via === 'session' && cred.user?.role === 'admin';
  // A suspended VE's console is for support only, but for a network-only suspension (consoleOpens).
  if (ve.state === 'suspended' && !admin && !consoleOpens(ve)) throw new AppError('FORBIDDEN', 'the VE is suspended');
  const right: ConsoleRight = actor.via === 'session' ? { veId: ve.id, ownerId, sessionId: cred.sessionId } : { veId: ve.id, ownerId, apiKeyId: actor.actorType === 'apiKey' ? actor.actorId : null };
  return { ve: rest, node, actor, right };
}
