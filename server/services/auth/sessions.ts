import type { PrismaClient } from '@/server/db/client';
import { newToken, sha256Hex } from './tokens';
import { canUseBrowser, staffRoleOf, type StaffRole } from './roles';

export const SESSION_COOKIE = 'vz_session';
/** Idle timeout: a session unused for this long expires; each use slides it forward. */
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
/** Hard cap from sign-in, however active the session is. */
export const SESSION_MAX_AGE_MS = 30 * 24 * 3600_000;
/** Time to type the TOTP code after the password was accepted. */
export const TOTP_TICKET_TTL_MS = 5 * 60_000;
// Slide at most this often, so an active user causes one write per minute, not one per request.
const SLIDE_EVERY_MS = 60_000;

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'customer';
  /** Staff rights (owner, admin, support); null for customers. */
  adminRole: StaffRole | null;
  totpEnabled: boolean;
}

export interface ValidSession {
  session: { id: string; expiresAt: Date; createdAt: Date };
  user: SessionUser;
  /** Set when the expiry slid forward, so the caller can re-send the cookie. */
  renewed: boolean;
}

interface SessionMeta {
  ip?: string;
  userAgent?: string;
}

/**
 * Starts a session for `userId`. Returns the cookie token (shown to the client once; only its
 * sha256 is stored). `pendingTotp` sessions are 2FA tickets: they authorize nothing but the
 * TOTP step and expire after five minutes.
 */
export async function createSession(prisma: PrismaClient, userId: string, meta: SessionMeta & { pendingTotp?: boolean } = {}) {
  const token = newToken();
  const ttl = meta.pendingTotp ? TOTP_TICKET_TTL_MS : SESSION_TTL_MS;
  const expiresAt = new Date(Date.now() + ttl);
  const row = await prisma.session.create({
    data: { tokenHash: sha256Hex(token), userId, expiresAt, ip: meta.ip, userAgent: meta.userAgent?.slice(0, 500), pendingTotp: meta.pendingTotp ?? false },
  });
  return { token, id: row.id, expiresAt };
}

/**
 * Resolves a cookie token to a live, fully authenticated session and its user, or null
 * (unknown, expired, 2FA still pending, user disabled, or an API-only billing account). Slides
 * the idle expiry forward.
 */
export async function validateSession(prisma: PrismaClient, token: string | undefined): Promise<ValidSession | null> {
  if (!token || token.length > 200) return null;
  const row = await prisma.session.findUnique({ where: { tokenHash: sha256Hex(token) }, include: { user: true } });
  const now = Date.now();
  if (!row || row.pendingTotp || row.user.disabled || !canUseBrowser(staffRoleOf(row.user))) return null;
  if (row.expiresAt.getTime() <= now) {
    await prisma.session.deleteMany({ where: { id: row.id } });
    return null;
  }
  let expiresAt = row.expiresAt;
  let renewed = false;
  const cap = row.createdAt.getTime() + SESSION_MAX_AGE_MS;
  const slid = new Date(Math.min(now + SESSION_TTL_MS, cap));
  if (slid.getTime() - expiresAt.getTime() > SLIDE_EVERY_MS) {
    await prisma.session.update({ where: { id: row.id }, data: { expiresAt: slid, lastSeenAt: new Date(now) } });
    expiresAt = slid;
    renewed = true;
  }
  const u = row.user;
  return {
    session: { id: row.id, expiresAt, createdAt: row.createdAt },
    user: { id: u.id, email: u.email, name: u.name, role: u.role, adminRole: staffRoleOf(u), totpEnabled: u.totpEnabled },
    renewed,
  };
}

/** Looks up a live 2FA ticket (a pending session) by its token. */
export async function findTotpTicket(prisma: PrismaClient, ticket: string) {
  if (!ticket || ticket.length > 200) return null;
  const row = await prisma.session.findUnique({ where: { tokenHash: sha256Hex(ticket) }, include: { user: true } });
  if (!row || !row.pendingTotp || row.expiresAt.getTime() <= Date.now() || row.user.disabled) return null;
  return row;
}

/** Ends the session holding `token` (logout). Unknown tokens are ignored. */
export async function revokeSessionToken(prisma: PrismaClient, token: string): Promise<void> {
  await prisma.session.deleteMany({ where: { tokenHash: sha256Hex(token) } });
}

export async function revokeSessionById(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.session.deleteMany({ where: { id } });
}

/** Ends every session of a user (password change, 2FA change, disable), optionally keeping one. */
export async function revokeUserSessions(prisma: PrismaClient, userId: string, exceptId?: string): Promise<number> {
  const r = await prisma.session.deleteMany({ where: { userId, ...(exceptId ? { id: { not: exceptId } } : {}) } });
  return r.count;
}

export async function purgeExpiredSessions(prisma: PrismaClient): Promise<number> {
  const r = await prisma.session.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  return r.count;
}
