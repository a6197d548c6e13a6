import { z } from 'zod';
import { forEachOpenApiProcedure, generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { ERROR_CODES } from '@/server/errors';
import { appRouter } from './root';
import type { Meta } from './trpc';

export const REST_BASE = '/api/v1';

/** The body of every /api/v1 error (server/http/rest.ts builds it; tests parse real answers with it). */
export const RestError = z.object({
  message: z.string().describe('What went wrong, safe to show; names the field for bad input'),
  code: z.string().describe('Error name: BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, METHOD_NOT_SUPPORTED, CONFLICT, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, UNPROCESSABLE_CONTENT, INTERNAL_SERVER_ERROR'),
  data: z.object({
    code: z.string().describe('Same as the outer code'),
    httpStatus: z.number().int().describe('The HTTP status of this answer'),
    path: z.string().optional().describe('The operation (tRPC path), when one was reached'),
    appCode: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...Array<keyof typeof ERROR_CODES>]).describe('Stable application error code; switch on this'),
    field: z.string().optional().describe('The request field that was wrong (dotted path, e.g. overrides.ram)'),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('Every validation problem, for bad input'),
  }).strict(),
}).strict();

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad input: the message and data.field name the wrong field (also for a body that is not a JSON object)',
  401: 'Missing, unknown or revoked API key',
  403: 'The API key lacks the scope this operation requires (x-required-scopes)',
  404: 'Nothing with this id',
  409: 'Conflicts with the current state (busy, taken, already in another state); the message says which',
  413: 'Request body over 1 MiB',
  415: 'A non-empty body that is not application/json',
  422: 'Valid input that this object\'s current state or configuration refuses; the message says why',
  431: 'Request line and headers over 64 KiB (send long lists in a body instead)',
  500: 'Unexpected server error (details are logged, never returned)',
};

const BODY_METHODS = new Set(['post', 'put', 'patch']);
type Operation = { description?: string; parameters?: unknown[]; requestBody?: unknown; responses: Record<string, unknown> } & Record<string, unknown>;

// Adds what trpc-to-openapi does not say: the scopes each operation needs, every status it can
// answer, and the real error body (its own error schema describes a shape we never send).
function annotate(doc: OpenAPIObject): OpenAPIObject {
  const errorSchema = z.toJSONSchema(RestError) as Record<string, unknown>;
  delete errorSchema.$schema;
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, Error: errorSchema } };
  const errorResponse = (status: number, text?: string) => ({ description: text ?? STATUS_TEXT[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  forEachOpenApiProcedure<Meta>(appRouter._def.procedures, ({ meta }) => {
    const method = meta.openapi.method.toLowerCase();
    const op = (doc.paths?.[meta.openapi.path] as Record<string, Operation> | undefined)?.[method];
    if (!op) return;
    const scopes = meta.scopes ?? [];
    op['x-required-scopes'] = scopes;
    const need = scopes.length ? `**Requires scope${scopes.length > 1 ? 's' : ''}:** ${scopes.map((s) => `\`${s}\``).join(', ')}.` : '';
    op.description = [need, op.description].filter(Boolean).join('\n\n');
    const statuses = new Set<number>([401, 403, 431, 500]);
    if (BODY_METHODS.has(method)) [400, 413, 415].forEach((s) => statuses.add(s));
    if (op.parameters?.length || op.requestBody) statuses.add(400);
    if (meta.openapi.path.includes('{')) statuses.add(404);
    const declared = meta.openapi.errorResponses as Record<number, string> | undefined;
    for (const s of Object.keys(declared ?? {})) statuses.add(Number(s));
    op.responses = { 200: op.responses['200'], ...Object.fromEntries([...statuses].sort().map((s) => [String(s), errorResponse(s, declared?.[s])])) };
  });
  return doc;
}

let cached: OpenAPIObject | undefined;

/** The OpenAPI 3.1 document of the billing REST API (procedures with `meta.openapi`). */
export function openApiDocument(): OpenAPIObject {
  cached ??= annotate(generateOpenApiDocument(appRouter, {
    title: 'vzpanel billing API',
    description: [
      'REST API for billing systems. Authenticate with `Authorization: Bearer vzk_…` (an API key created by an admin); each operation names the scope it needs (in its description and in `x-required-scopes`).',
      'Bodies are JSON objects (`Content-Type: application/json`); an operation with nothing to send takes no body, an empty one or `{}`. Numbers are JSON numbers (`"1"`, `true` or `[1]` are refused); integer query parameters are plain decimal digits.',
      'Every error is JSON with the `Error` schema, also an unknown path (404) and a method a path does not have (405, with an `Allow` header).',
      'State changes are pushed to webhook endpoints (manage them under /webhooks): `task.succeeded`, `task.failed`, `ve.suspended`, `ve.unsuspended` and `ve.destroyed` (whose data.ve carries the destroyed VE\'s id, ctid and externalId).',
    ].join('\n\n'),
    version: '1.0.0',
    baseUrl: REST_BASE,
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'vzpanel API key (vzk_…)' } },
  }));
  return cached;
}
