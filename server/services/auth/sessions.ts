import type { PrismaClient } from '@/server/db/client';
import { newToken, sha256Hex } from './tokens';
import { canUseBrowser, staffRoleOf, type StaffRole } from './roles';
import { topicCache } from './listenCache';

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

// Live sessions by token hash, per process (listenCache.ts): a page costs no round trip to learn who
// asks. Invalidated by the Session and User triggers' `user:<id>` notices (sign-out anywhere, disable,
// role or profile change) and at once by this process's own revocations below.
type CachedSession = Omit<ValidSession, 'renewed'>;
const SESSION_CACHE_MAX_AGE_MS = 30_000;
const sessionCache = (prisma: PrismaClient) => topicCache<CachedSession>(prisma, 'session', SESSION_CACHE_MAX_AGE_MS);

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
  const tokenHash = sha256Hex(token);
  const cache = sessionCache(prisma);
  const hit = cache?.get(tokenHash);
  // A remembered session past its expiry is re-read: another process may have slid it.
  if (hit && hit.session.expiresAt.getTime() > Date.now()) return slide(prisma, hit);
  const readAt = Date.now();
  const listening = !!cache?.listening;
  const row = await prisma.session.findUnique({ where: { tokenHash }, include: { user: true } });
  if (!row || row.pendingTotp || row.user.disabled || !canUseBrowser(staffRoleOf(row.user))) return null;
  if (row.expiresAt.getTime() <= Date.now()) {
    await prisma.session.deleteMany({ where: { id: row.id } });
    return null;
  }
  const u = row.user;
  const live: CachedSession = {
    session: { id: row.id, expiresAt: row.expiresAt, createdAt: row.createdAt },
    user: { id: u.id, email: u.email, name: u.name, role: u.role, adminRole: staffRoleOf(u), totpEnabled: u.totpEnabled },
  };
  cache?.put(tokenHash, live, [`user:${u.id}`, `session:${row.id}`], readAt, listening);
  return slide(prisma, live);
}

// Slides the idle expiry forward (at most once a minute); null when the session is gone meanwhile.
async function slide(prisma: PrismaClient, live: CachedSession): Promise<ValidSession | null> {
  const now = Date.now();
  const { session } = live;
  const slid = new Date(Math.min(now + SESSION_TTL_MS, session.createdAt.getTime() + SESSION_MAX_AGE_MS));
  if (slid.getTime() - session.expiresAt.getTime() <= SLIDE_EVERY_MS) return { ...live, renewed: false };
  // Set on the remembered entry first, so concurrent requests do not all write it.
  live.session = { ...session, expiresAt: slid };
  const r = await prisma.session.updateMany({ where: { id: session.id }, data: { expiresAt: slid, lastSeenAt: new Date(now) } });
  if (r.count === 0) return null; // signed out meanwhile (another process; our notice is on its way)
  return { session: live.session, user: live.user, renewed: true };
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
  const tokenHash = sha256Hex(token);
  await prisma.session.deleteMany({ where: { tokenHash } });
  // This process forgets it at once; the others hear the Session trigger's notice.
  sessionCache(prisma)?.forget(tokenHash);
}

export async function revokeSessionById(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.session.deleteMany({ where: { id } });
  sessionCache(prisma)?.drop(`session:${id}`);
}

/** Ends every session of a user (password change, 2FA change, disable), optionally keeping one. */
export async function revokeUserSessions(prisma: PrismaClient, userId: string, exceptId?: string): Promise<number> {
  const r = await prisma.session.deleteMany({ where: { userId, ...(exceptId ? { id: { not: exceptId } } : {}) } });
  sessionCache(prisma)?.drop(`user:${userId}`);
  return r.count;
}

export async function purgeExpiredSessions(prisma: PrismaClient): Promise<number> {
  const r = await prisma.session.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  return r.count;
}
