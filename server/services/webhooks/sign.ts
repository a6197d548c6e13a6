// Webhook signatures: `X-Vzpanel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Vzpanel-Signature';

/** The signature header value for `body` sent at `ts` (unix seconds). */
export function signWebhook(secret: string, ts: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  return `t=${ts},v1=${mac}`;
}

/**
 * What a receiver does: true when `header` carries a v1 HMAC of `body` under `secret` made at most
 * `toleranceSec` ago (replays of old deliveries are refused). Constant-time comparison.
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, body: string, toleranceSec = 300, now = Date.now()): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const ts = Number(parts.t);
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > toleranceSec || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  const want = Buffer.from(signWebhook(secret, ts, body).split('v1=')[1], 'hex');
  return timingSafeEqual(want, Buffer.from(parts.v1, 'hex'));
}
