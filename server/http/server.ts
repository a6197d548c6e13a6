import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { PrismaClient } from '@/server/db/client';
import { appRouter } from '@/server/api/root';
import { createContext } from '@/server/api/context';
import { openApiDocument, REST_BASE } from '@/server/api/openapi';
import { checkHealth } from '@/server/services/health';
import { logger } from '@/server/logger';
import { guardPages } from './guards';
import { redeemLoginToken } from './login-token';
import { createWsUpgrade, defaultWsRoute, type WsRoute } from './ws';
import { CONSOLE_WS_PREFIX, createConsoleUpgrade } from './console-ws';
import { createRestHandler, restErrorBody } from './rest';
import { answerClientError, MAX_HEADER_SIZE } from './client-error';
import { createMetricsHandler, METRICS_PATHS, metricsTokenFrom } from './metrics';
import { TRPCError } from '@trpc/server';
import { AUDIT_CSV_PATH, serveAuditCsv } from './audit-csv';
import { DOWNLOAD_PATH } from '@/server/services/backups/downloads';
import { serveBackupDownload } from '@/server/operations/backups/export';
import { crossSitePost } from './cross-site';
import { serveTemplateUpload, TEMPLATE_UPLOAD_PATH } from './template-upload';

export interface NextHandlers {
  handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> | unknown;
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<unknown> | unknown;
}

export interface HttpServerOptions {
  prisma: PrismaClient;
  /** Next.js request/upgrade handlers; absent in API-only tests (other paths then 404). */
  next?: NextHandlers;
  /** Extra WebSocket routes (path -> handler) beside the default /ws. */
  wsRoutes?: Record<string, WsRoute>;
  /** Bearer token for /metrics and /metrics/ves; default VZPANEL_METRICS_TOKEN; unset = both 404. */
  metricsToken?: string;
}

const MAX_BODY = 1 << 20;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

// Unknown (500) errors are logged in full here and reach the client only as "Internal server error".
function logApiError({ error, path }: { error: TRPCError; path?: string }): void {
  if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error.cause ?? error, path }, 'procedure failed');
  else logger.debug({ code: error.code, path }, 'procedure refused');
}

/**
 * The panel's HTTP surface in one server: tRPC (/api/trpc), billing REST (/api/v1) with its
 * OpenAPI document, /api/health, page guards, WebSocket (/ws), and everything else to Next.
 */
export function createHttpServer(opts: HttpServerOptions) {
  const { prisma, next } = opts;
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/api/trpc/',
    maxBodySize: MAX_BODY,
    createContext: ({ req, res }) => createContext(prisma, req, res),
    onError: logApiError,
  });
  const rest = createRestHandler(prisma, { maxBodySize: MAX_BODY });
  const ws = createWsUpgrade(prisma, new Map(Object.entries({ '/ws': defaultWsRoute, ...opts.wsRoutes })));
  const consoleWs = createConsoleUpgrade(prisma, ws.wss);
  const metrics = createMetricsHandler(prisma, metricsTokenFrom(opts.metricsToken ?? process.env.VZPANEL_METRICS_TOKEN));

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    if (p.startsWith('/api/')) res.setHeader('X-Content-Type-Options', 'nosniff');
    if (p === '/api/trpc' || p.startsWith('/api/trpc/')) {
      if (crossSitePost(req)) return sendJson(res, 403, { error: { message: 'Cross-site request refused', data: { appCode: 'FORBIDDEN' } } });
      res.setHeader('Cache-Control', 'no-store');
      return void (await trpc(req, res));
    }
    if (p === `${REST_BASE}/openapi.json`) return sendJson(res, 200, openApiDocument());
    if (p === REST_BASE || p.startsWith(`${REST_BASE}/`)) {
      // The OpenAPI paths are relative to /api/v1 (the document's server URL).
      req.url = (req.url ?? '/').slice(REST_BASE.length) || '/';
      res.setHeader('Cache-Control', 'no-store');
      return void (await rest(req, res));
    }
    if ((METRICS_PATHS as readonly string[]).includes(p)) return metrics(req, res, p);
    if (p === '/api/health') {
      const h = await checkHealth(prisma);
      return sendJson(res, h.db === 'ok' ? 200 : 503, h);
    }
    if (p === AUDIT_CSV_PATH) return serveAuditCsv(prisma, req, res, url);
    if (p === TEMPLATE_UPLOAD_PATH) return serveTemplateUpload(prisma, req, res, url);
    if (p.startsWith(DOWNLOAD_PATH)) return serveBackupDownload(prisma, req, res, p.slice(DOWNLOAD_PATH.length));
    // Every answer under /api is JSON, an unknown path too (never Next's HTML 404 page).
    if (p.startsWith('/api/')) return sendJson(res, 404, restErrorBody(new TRPCError({ code: 'NOT_FOUND', message: `No API at ${p}` })));
    if (p.startsWith('/auth/token/')) return redeemLoginToken(prisma, req, res, p.slice('/auth/token/'.length));
    if (await guardPages(prisma, req, res, p)) return;
    if (next) return void (await next.handle(req, res));
    sendJson(res, 404, restErrorBody(new TRPCError({ code: 'NOT_FOUND', message: 'Not found' })));
  }

  // GET /ves/status takes up to 500 ids in its URL, over Node's default 16 KiB header limit.
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_SIZE }, (req, res) => {
    onRequest(req, res).catch((err) => {
      logger.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, restErrorBody(new TRPCError({ code: 'INTERNAL_SERVER_ERROR' })));
      else res.destroy();
    });
  });

  server.on('clientError', answerClientError);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const p = new URL(req.url ?? '/', 'http://localhost').pathname;
    const done = (err: unknown) => {
      logger.error({ err, url: req.url }, 'upgrade failed');
      socket.destroy();
    };
    if (p.startsWith(CONSOLE_WS_PREFIX)) return void consoleWs.handle(req, socket, head, p).catch(done);
    if (p === '/ws' || p.startsWith('/ws/')) return void ws.handle(req, socket, head, p).catch(done);
    // Everything else (Next dev HMR at /_next/hmr) belongs to Next.
    if (next?.upgrade) return void Promise.resolve(next.upgrade(req, socket, head)).catch(done);
    socket.destroy();
  });

  return { server, wss: ws.wss };
}
