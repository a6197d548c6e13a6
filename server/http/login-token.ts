// /auth/token/<token>: a billing system's one-time portal login link. GET shows a confirm page and
// uses nothing up (link scanners and prefetchers may open it); the page's same-origin POST spends the
// token and signs in. A browser signed in as an admin is never switched to a customer this way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrismaClient } from '@/server/db/client';
import { clientIp, isHttps, serializeCookie, sessionTokenFrom } from '@/server/api/cookies';
import { consumeLoginToken, peekLoginToken } from '@/server/services/billing/customers';
import { createSession, revokeSessionToken, SESSION_COOKIE, validateSession } from '@/server/services/auth/sessions';
import { writeAudit } from '@/server/services/audit';

const NO_CACHE = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { Location: location, ...NO_CACHE });
  res.end();
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// A self-contained page: no scripts, no framing (a hidden frame could get the button clicked), forms only to us.
function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'X-Frame-Options': 'DENY',
    ...NO_CACHE,
  });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;background:#f1f5f9;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}
main{background:#fff;border:1px solid #e2e8f0;border-radius:12px;padding:2rem;max-width:24rem}button{background:#2563eb;color:#fff;border:0;border-radius:6px;padding:.6rem 1rem;font-size:1rem;width:100%}</style>
</head><body><main><h1 style="font-size:1.1rem">${escapeHtml(title)}</h1>${body}</main></body></html>`);
}

// Form posts from a page of another site carry that site's Origin; ours carries ours.
function sameOriginPost(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return req.headers['sec-fetch-site'] === 'same-origin';
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function refuseAdmin(res: ServerResponse): void {
  page(res, 409, 'You are signed in as an administrator', '<p>A customer login link does not replace an administrator session. Sign out first, or open the link in a private window.</p><p><a href="/admin">Back to the admin area</a></p>');
}

/**
 * GET: the confirm page naming the account (the token stays unused). POST from our own page: spends
 * the token (single use, 5 minutes), replaces a customer session this browser had, and goes to
 * /portal. A used, expired or unknown token sends the browser to /login with an error.
 */
export async function redeemLoginToken(prisma: PrismaClient, req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
    res.writeHead(405, { Allow: 'GET, POST' });
    return void res.end();
  }
  let raw = '';
  try {
    raw = decodeURIComponent(token);
  } catch {
    /* malformed escape: treated like an unknown token */
  }
  const current = await validateSession(prisma, sessionTokenFrom(req));
  if (current?.user.role === 'admin') return refuseAdmin(res);
  if (req.method !== 'POST') {
    const who = await peekLoginToken(prisma, raw);
    if (!who) return redirect(res, '/login?error=link-expired');
    return page(res, 200, 'Sign in to the customer portal', `<p>Continue as <b>${escapeHtml(who.email)}</b>?</p><form method="post"><button type="submit">Sign in</button></form>`);
  }
  if (!sameOriginPost(req)) return page(res, 403, 'Sign-in refused', '<p>This sign-in was not started from this site. Open the login link again.</p>');
  const ip = clientIp(req);
  const userId = await consumeLoginToken(prisma, raw);
  await writeAudit(prisma, { actorType: 'user', actorId: userId, action: 'auth.loginToken', targetType: 'user', targetId: userId, ip, outcome: userId ? 'success' : 'denied' });
  if (!userId) return redirect(res, '/login?error=link-expired');
  // The customer session this browser had ends (no session fixation, no two accounts in one browser).
  if (current) await revokeSessionToken(prisma, sessionTokenFrom(req)!);
  const s = await createSession(prisma, userId, { ip, userAgent: String(req.headers['user-agent'] ?? '') });
  res.setHeader('Set-Cookie', serializeCookie(SESSION_COOKIE, s.token, { expires: s.expiresAt, httpOnly: true, sameSite: 'Lax', secure: isHttps(req) }));
  await prisma.user.update({ where: { id: userId }, data: { lastLoginAt: new Date() } });
  redirect(res, '/portal');
}
