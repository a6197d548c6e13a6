// The billing REST API (/api/v1): routes each OpenAPI operation of the tRPC router to its
// procedure. Our own dispatcher rather than trpc-to-openapi's handler, which coerces every number
// and boolean field (it sets zod's `coerce` on the shared schemas, so "0x10", [1], "" and null
// became numbers, over tRPC too), refuses an empty POST without Content-Type, answers 404 for a
// wrong method and leaves path parameters URL-encoded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getErrorShape, getTRPCErrorFromUnknown, TRPCError, type AnyTRPCProcedure } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { forEachOpenApiProcedure, getPathRegExp, normalizePath, type OpenApiMethod } from 'trpc-to-openapi';
import type { PrismaClient } from '@/server/db/client';
import { appRouter, createCaller } from '@/server/api/root';
import { createContext, type Context } from '@/server/api/context';
import { logger } from '@/server/logger';
import { bodyInput, queryInput } from './rest-input';

interface Route {
  method: OpenApiMethod;
  re: RegExp;
  /** tRPC path, e.g. "billing.create". */
  path: string;
  procedure: AnyTRPCProcedure;
}

function routes(): Route[] {
  const out: Route[] = [];
  forEachOpenApiProcedure(appRouter._def.procedures, ({ path, procedure, meta }) => {
    out.push({ method: meta.openapi.method, re: getPathRegExp(normalizePath(meta.openapi.path)), path, procedure: procedure as AnyTRPCProcedure });
  });
  return out;
}

/** The JSON error body every /api/v1 failure answers with (documented as `Error` in the OpenAPI document). */
export function restErrorBody(error: TRPCError, opts: { path?: string; type?: 'query' | 'mutation' | 'unknown'; input?: unknown; ctx?: Context } = {}) {
  const shape = getErrorShape({ config: appRouter._def._config, error, type: opts.type ?? 'unknown', path: opts.path, input: opts.input, ctx: opts.ctx });
  // `code` is the name (BAD_REQUEST), not the JSON-RPC number tRPC puts there.
  return { ...shape, code: error.code };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(JSON.stringify(body));
}

function decodeParams(groups: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(groups ?? {})) {
    try {
      out[k] = decodeURIComponent(v);
    } catch {
      throw new TRPCError({ code: 'BAD_REQUEST', message: `Path parameter ${k} is not valid percent-encoding` });
    }
  }
  return out;
}

/** Handler for requests whose URL is already relative to /api/v1. */
export function createRestHandler(prisma: PrismaClient, opts: { maxBodySize: number }) {
  const table = routes();
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = normalizePath(url.pathname);
    const method = (req.method ?? 'GET').toUpperCase();
    const here = table.filter((r) => r.re.test(p));
    const route = here.find((r) => r.method === method);
    let ctx: Context | undefined;
    let input: Record<string, unknown> | undefined;
    try {
      if (!here.length) throw new TRPCError({ code: 'NOT_FOUND', message: `No operation at ${p}` });
      if (!route) {
        res.setHeader('Allow', [...new Set(here.map((r) => r.method))].join(', '));
        throw new TRPCError({ code: 'METHOD_NOT_SUPPORTED', message: `${method} is not allowed on ${p}; use ${res.getHeader('Allow')}` });
      }
      const params = decodeParams(route.re.exec(p)?.groups);
      const fromBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
      input = { ...(fromBody ? await bodyInput(req, opts.maxBodySize) : queryInput(url)), ...params };
      ctx = await createContext(prisma, req, res);
      const fn = route.path.split('.').reduce<unknown>((acc, seg) => (acc as Record<string, unknown>)[seg], createCaller(ctx)) as (i: unknown) => Promise<unknown>;
      send(res, 200, await fn(input));
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error.cause ?? error, path: route?.path }, 'procedure failed');
      else logger.debug({ code: error.code, path: route?.path }, 'procedure refused');
      // A body we stopped reading cannot be followed by another request on this connection.
      const headers: Record<string, string> = error.code === 'PAYLOAD_TOO_LARGE' ? { Connection: 'close' } : {};
      send(res, getHTTPStatusCodeFromError(error), restErrorBody(error, { path: route?.path, type: route?.procedure._def.type === 'query' ? 'query' : 'mutation', input, ctx }), headers);
    }
  };
}
