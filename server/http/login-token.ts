// GET /auth/token/<token>: a billing system's one-time portal login link -> session cookie -> /portal.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrismaClient } from '@/server/db/client';
import { clientIp, isHttps, serializeCookie } from '@/server/api/cookies';
import { consumeLoginToken } from '@/server/services/billing/customers';
import { createSession, SESSION_COOKIE } from '@/server/services/auth/sessions';
import { writeAudit } from '@/server/services/audit';

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end();
}

/**
 * Redeems a login token (single use, 5 minutes). Only GET: the link is followed by the customer's
 * browser. A used, expired or unknown token sends the browser to /login with an error, nothing else.
 */
export async function redeemLoginToken(prisma: PrismaClient, req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.statusCode = 405;
    res.setHeader('Allow', 'GET');
    return void res.end();
  }
  const ip = clientIp(req);
  let raw = '';
  try {
    raw = decodeURIComponent(token);
  } catch {
    /* malformed escape: treated like an unknown token */
  }
  const userId = await consumeLoginToken(prisma, raw);
  await writeAudit(prisma, { actorType: 'user', actorId: userId, action: 'auth.loginToken', targetType: 'user', targetId: userId, ip, outcome: userId ? 'success' : 'denied' });
  if (!userId) return redirect(res, '/login?error=link-expired');
  const s = await createSession(prisma, userId, { ip, userAgent: String(req.headers['user-agent'] ?? '') });
  res.setHeader('Set-Cookie', serializeCookie(SESSION_COOKIE, s.token, { expires: s.expiresAt, httpOnly: true, sameSite: 'Lax', secure: isHttps(req) }));
  await prisma.user.update({ where: { id: userId }, data: { lastLoginAt: new Date() } });
  redirect(res, '/portal');
}
