// Ending open consoles whose right ended. Database triggers (migration console_revoke_notify_acct)
// announce on the vz_console channel every change that can take a right away, whatever code path
// made it: a VE's state or owner changed or the VE is gone ("ve:<id>"), a user disabled or a session
// ended ("user:<id>"), an API key revoked ("key:<id>"). Every panel process then rechecks its open
// consoles of that VE, user or key (consoleRevoked) and closes those no longer allowed.
import type { PrismaClient } from '@/server/db/client';
import { consoleOpens } from './tickets';

export type ConsoleTopic = `ve:${string}` | `user:${string}` | `key:${string}`;

/** What an open console was granted on, to recheck later. */
export interface ConsoleRight {
  veId: string;
  /** The VE's owner when the console opened (a change of owner ends customer and ticket consoles). */
  ownerId: string | null;
  /** Session-opened consoles: the session; it must stay alive and its user enabled. */
  sessionId?: string;
  /** Ticket-opened consoles issued through a billing key: the key must stay unrevoked. */
  apiKeyId?: string | null;
}

/** The notices an open console listens to. */
export function consoleTopics(r: ConsoleRight, userId?: string): ConsoleTopic[] {
  const t: ConsoleTopic[] = [`ve:${r.veId}`];
  if (userId) t.push(`user:${userId}`);
  if (r.ownerId && r.ownerId !== userId) t.push(`user:${r.ownerId}`);
  if (r.apiKeyId) t.push(`key:${r.apiKeyId}`);
  return t;
}

/**
 * Why an open console must close now, or null while its right holds. Admin sessions keep their
 * consoles on any VE (support works on suspended VEs); customer and ticket consoles end when the VE
 * is suspended (but for a network-only suspension: consoleOpens), gone or handed to someone else, the owner is disabled, or the billing key revoked.
 */
export async function consoleRevoked(prisma: PrismaClient, r: ConsoleRight): Promise<string | null> {
  const ve = await prisma.ve.findUnique({ where: { id: r.veId }, select: { state: true, suspendMode: true, prevPowerState: true, ownerId: true, owner: { select: { disabled: true } } } });
  if (!ve) return 'the VE no longer exists';
  if (r.sessionId) {
    const s = await prisma.session.findUnique({ where: { id: r.sessionId }, select: { expiresAt: true, pendingTotp: true, user: { select: { disabled: true, role: true } } } });
    if (!s || s.pendingTotp || s.expiresAt.getTime() <= Date.now()) return 'the session ended';
    if (s.user.disabled) return 'the account is disabled';
    if (s.user.role === 'admin') return null;
  }
  if (ve.ownerId !== r.ownerId) return 'the VE changed owner';
  if (ve.owner?.disabled) return 'the account is disabled';
  if (ve.state === 'suspended' && !consoleOpens(ve)) return 'the VE is suspended';
  if (r.apiKeyId) {
    const key = await prisma.apiKey.findUnique({ where: { id: r.apiKeyId }, select: { revokedAt: true } });
    if (!key || key.revokedAt) return 'the API key was revoked';
  }
  return null;
}
