import type { IncomingMessage } from 'node:http';
import { SESSION_COOKIE } from '@/server/services/auth/sessions';

export interface CookieOptions {
  expires?: Date;
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Lax' | 'Strict' | 'None';
  path?: string;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    if (!name || name in out) continue;
    try {
      out[name] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[name] = part.slice(i + 1).trim();
    }
  }
  return out;
}

export function serializeCookie(name: string, value: string, o: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${o.path ?? '/'}`];
  if (o.expires) parts.push(`Expires=${o.expires.toUTCString()}`);
  if (o.maxAge !== undefined) parts.push(`Max-Age=${Math.floor(o.maxAge)}`);
  if (o.httpOnly ?? true) parts.push('HttpOnly');
  if (o.secure) parts.push('Secure');
  parts.push(`SameSite=${o.sameSite ?? 'Lax'}`);
  return parts.join('; ');
}

export function sessionTokenFrom(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  return parseCookies(req.headers.cookie)[SESSION_COOKIE];
}

/** Secure cookies when served over TLS (directly, or behind a proxy we were told to trust). */
export function isHttps(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  return trustProxy() && String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim() === 'https';
}

export function trustProxy(): boolean {
  return process.env.VZPANEL_TRUST_PROXY === '1';
}

/** Client address; X-Forwarded-For only counts when VZPANEL_TRUST_PROXY=1 (else it is forgeable). */
export function clientIp(req: IncomingMessage): string {
  if (trustProxy()) {
    const fwd = String(req.headers['x-forwarded-for'] ?? '').split(',')[0].trim();
    if (fwd) return fwd;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
