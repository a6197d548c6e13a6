// GET /metrics (panel series) and GET /metrics/ves (per-VE series) for Prometheus, behind a bearer
// token (VZPANEL_METRICS_TOKEN); without one configured, both answer 404.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrismaClient } from '@/server/db/client';
import { logger } from '@/server/logger';
import { registry, renderPanelMetrics } from '@/server/services/metrics/registry';
import { renderVeMetrics } from '@/server/services/metrics/ve-series';

export const METRICS_PATHS = ['/metrics', '/metrics/ves'] as const;
const MIN_TOKEN = 16;

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * True when the request carries `Authorization: Bearer <token>`. Compares sha256 digests with
 * timingSafeEqual, so neither the token's bytes nor its length show in the answer time.
 */
export function presentsToken(req: IncomingMessage, token: string): boolean {
  const h = req.headers.authorization;
  const given = h?.toLowerCase().startsWith('bearer ') ? h.slice(7).trim() : '';
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

/** The configured scrape token; a set but short one is refused at start (a guessable token is worse than none). */
export function metricsTokenFrom(value: string | undefined): string | undefined {
  const t = value?.trim();
  if (!t) return undefined;
  if (t.length < MIN_TOKEN) throw new Error(`VZPANEL_METRICS_TOKEN must be at least ${MIN_TOKEN} characters (e.g. openssl rand -hex 32)`);
  return t;
}

function answer(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(body);
}

export function createMetricsHandler(prisma: PrismaClient, token: string | undefined) {
  return async function metrics(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!token) return answer(res, 404, 'metrics are off: set VZPANEL_METRICS_TOKEN\n');
    if (!presentsToken(req, token)) return answer(res, 401, 'missing or wrong bearer token\n', undefined, { 'WWW-Authenticate': 'Bearer realm="metrics"' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'GET only\n', undefined, { Allow: 'GET, HEAD' });
    try {
      const text = path === '/metrics/ves' ? await renderVeMetrics(prisma) : await renderPanelMetrics(prisma);
      answer(res, 200, text, registry.contentType);
    } catch (err) {
      logger.error({ err }, 'metrics scrape failed');
      answer(res, 500, 'metrics scrape failed\n');
    }
  };
}
