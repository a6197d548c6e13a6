import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrismaClient } from '@/server/db/client';
import { SESSION_COOKIE, validateSession, type SessionUser } from '@/server/services/auth/sessions';
import type { VerifiedApiKey } from '@/server/services/auth/apiKeys';
import { clientIp, isHttps, serializeCookie, sessionTokenFrom, type CookieOptions } from './cookies';
import type { AuditScratch } from './audit';

export interface Context {
  prisma: PrismaClient;
  user?: SessionUser;
  session?: { id: string; expiresAt: Date };
  /** Raw cookie token of the current session (needed to end it on logout). */
  sessionToken?: string;
  /** Set by apiKeyProcedure after the bearer token was verified. */
  apiKey?: VerifiedApiKey;
  /** `Authorization: Bearer …` as presented; verified lazily by apiKeyProcedure. */
  bearer?: string;
  /** `Idempotency-Key` request header (billing creates replay the first result for a repeated key). */
  idempotencyKey?: string;
  /** Set by the audit middleware for mutations; procedures may name their target here. */
  audit?: AuditScratch;
  ip: string;
  userAgent: string;
  secureCookies: boolean;
  setCookie(name: string, value: string, opts?: CookieOptions): void;
}

/** Sets (or with `null`, clears) the session cookie on the response. */
export function setSessionCookie(ctx: Context, token: string | null, expiresAt?: Date): void {
  if (token === null) ctx.setCookie(SESSION_COOKIE, '', { maxAge: 0, secure: ctx.secureCookies });
  else ctx.setCookie(SESSION_COOKIE, token, { expires: expiresAt, httpOnly: true, sameSite: 'Lax', secure: ctx.secureCookies });
}

function appendSetCookie(res: ServerResponse, cookie: string): void {
  const prev = res.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  res.setHeader('set-cookie', [...list, cookie]);
}

/** Builds the request context for tRPC and REST from a Node request: session cookie, bearer token, client meta. */
export async function createContext(prisma: PrismaClient, req: IncomingMessage, res: ServerResponse): Promise<Context> {
  const auth = req.headers.authorization;
  const bearer = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
  const sessionToken = sessionTokenFrom(req);
  const idem = req.headers['idempotency-key'];
  const ctx: Context = {
    prisma,
    bearer,
    idempotencyKey: typeof idem === 'string' ? idem : undefined,
    ip: clientIp(req),
    userAgent: String(req.headers['user-agent'] ?? ''),
    secureCookies: isHttps(req),
    setCookie: (name, value, opts) => appendSetCookie(res, serializeCookie(name, value, opts)),
  };
  const valid = await validateSession(prisma, sessionToken);
  if (valid) {
    ctx.user = valid.user;
    ctx.session = valid.session;
    ctx.sessionToken = sessionToken;
    if (valid.renewed) setSessionCookie(ctx, sessionToken!, valid.session.expiresAt);
  }
  return ctx;
}

/** A context for createCaller (tests, server-side calls): cookies set are collected in `cookies`. */
export async function createInnerContext(
  prisma: PrismaClient,
  opts: { sessionToken?: string; bearer?: string; ip?: string; idempotencyKey?: string } = {},
): Promise<Context & { cookies: string[] }> {
  const cookies: string[] = [];
  const ctx: Context & { cookies: string[] } = {
    prisma,
    bearer: opts.bearer,
    idempotencyKey: opts.idempotencyKey,
    ip: opts.ip ?? '127.0.0.1',
    userAgent: 'internal',
    secureCookies: false,
    cookies,
    setCookie: (name, value, o) => cookies.push(serializeCookie(name, value, o)),
  };
  const valid = await validateSession(prisma, opts.sessionToken);
  if (valid) Object.assign(ctx, { user: valid.user, session: valid.session, sessionToken: opts.sessionToken });
  return ctx;
}
