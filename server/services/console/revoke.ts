// Ending open consoles whose right ended. A service that takes a right away (suspend, disable, logout,
// key revocation) announces the VE, user or key on the vz_console channel; every panel process then
// rechecks its open consoles of that VE, user or key (consoleRevoked) and closes those no longer allowed.
import type { Prisma, PrismaClient } from '@/server/db/client';

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

/**
 * Announces that rights on these VEs, users or keys may have ended. Runs in the caller's transaction
 * when given one, so the notice goes out only if the change commits.
 */
export async function notifyConsoles(db: PrismaClient | Prisma.TransactionClient, topics: ConsoleTopic[]): Promise<void> {
  if (topics.length === 0) return;
  await db.$executeRaw`SELECT pg_notify('vz_console', t) FROM unnest(${topics}::text[]) AS t`;
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
 * is suspended, gone or handed to someone else, the owner is disabled, or the billing key revoked.
 */
export async function consoleRevoked(prisma: PrismaClient, r: ConsoleRight): Promise<string | null> {
  const ve = await prisma.ve.findUnique({ where: { id: r.veId }, select: { state: true, ownerId: true, owner: { select: { disabled: true } } } });
  if (!ve) return 'the VE no longer exists';
  if (r.sessionId) {
    const s = await prisma.session.findUnique({ where: { id: r.sessionId }, select: { expiresAt: true, pendingTotp: true, user: { select: { disabled: true, role: true } } } });
    if (!s || s.pendingTotp || s.expiresAt.getTime() <= Date.now()) return 'the session ended';
    if (s.user.disabled) return 'the account is disabled';
    if (s.user.role === 'admin') return null;
  }
  if (ve.ownerId !== r.ownerId) return 'the VE changed owner';
  if (ve.owner?.disabled) return 'the account is disabled';
  if (ve.state === 'suspended') return 'the VE is suspended';
  if (r.apiKeyId) {
    const key = await prisma.apiKey.findUnique({ where: { id: r.apiKeyId }, select: { revokedAt: true } });
    if (!key || key.revokedAt) return 'the API key was revoked';
  }
  return null;
}
