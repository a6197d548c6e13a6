import { initTRPC, TRPCError } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { isAppError } from '@/server/errors';
import { describeError, toTRPCError } from './errors';
import type { Context } from './context';
import { verifyApiKey } from '@/server/services/auth/apiKeys';
import { recordMutation, type AuditScratch } from './audit';
import { canMutate } from '@/server/services/auth/roles';
import { apiDuration } from '@/server/services/metrics/registry';

export type AuthKind = 'public' | 'authed' | 'customer' | 'admin' | 'owner' | 'apiKey';
// Optional in the type only because tRPC's .meta() takes the whole object; every procedure builder sets auth.
export type Meta = OpenApiMeta<{ auth?: AuthKind; scopes?: string[] }>;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Never include stack traces in responses, whatever NODE_ENV says.
    isDev: false,
    errorFormatter({ shape, error }) {
      const d = describeError(error);
      return {
        message: d.message,
        code: shape.code,
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, appCode: d.appCode, field: d.field, issues: d.issues },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const mergeRouters = t.mergeRouters;

// Services throw AppError; convert it here, once, so tRPC and REST both see the right status.
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) throw toTRPCError(result.error.cause);
  return result;
});

// Every mutation (UI, portal, API key) leaves exactly one AuditLog row: who, what, target, ip, outcome.
const audited = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  if (type !== 'mutation') return next();
  const audit: AuditScratch = {};
  const result = await next({ ctx: { audit } });
  await recordMutation(ctx, audit, path, getRawInput, result.ok ? { ok: true, data: result.data } : { ok: false, error: result.error });
  return result;
});

// Latency per procedure for /metrics (outermost, so authentication and auditing are counted too).
const timed = t.middleware(async ({ path, type, next }) => {
  const end = apiDuration.startTimer({ procedure: path, type });
  const result = await next();
  end({ code: result.ok ? 'OK' : result.error.code });
  return result;
});

const base = t.procedure.use(timed).use(audited).use(appErrors);

export const publicProcedure = base.meta({ auth: 'public' });

const requireSession = t.middleware(({ ctx, next }) => {
  if (!ctx.user || !ctx.session) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
  return next({ ctx: { ...ctx, user: ctx.user, session: ctx.session } });
});

/** Any signed-in user (admin or customer). */
export const authedProcedure = base.meta({ auth: 'authed' }).use(requireSession);

/**
 * Customer-facing procedures: any signed-in user, but services must scope every query to
 * `ctx.user.id` (an admin calling these sees only their own objects, like any customer).
 */
export const customerProcedure = base.meta({ auth: 'customer' }).use(requireSession);

/**
 * Admin-area procedures; the role check happens here, on the server, for every call. Every staff
 * role may run queries (support reads everything); only owner and admin may run mutations.
 */
export const adminProcedure = base
  .meta({ auth: 'admin' })
  .use(requireSession)
  .use(({ ctx, type, next }) => {
    if (ctx.user.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'Administrators only' });
    if (type === 'mutation' && !canMutate(ctx.user.adminRole)) throw new TRPCError({ code: 'FORBIDDEN', message: 'Your role (support) can read but not change anything' });
    return next();
  });

/** Staff account management (other admins, their roles and second factors): owners only, reads included. */
export const ownerProcedure = base
  .meta({ auth: 'owner' })
  .use(requireSession)
  .use(({ ctx, next }) => {
    if (ctx.user.adminRole !== 'owner') throw new TRPCError({ code: 'FORBIDDEN', message: 'Owners only' });
    return next();
  });

/**
 * Billing REST procedures authenticated by `Authorization: Bearer vzk_…`. No key, an unknown
 * or revoked key -> 401; a valid key without every scope in `scopes` -> 403.
 */
export function apiKeyProcedure(...scopes: string[]) {
  return base.meta({ auth: 'apiKey', scopes }).use(async ({ ctx, next }) => {
    if (!ctx.bearer) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Missing API key (Authorization: Bearer vzk_…)' });
    const key = await verifyApiKey(ctx.prisma, ctx.bearer);
    if (!key) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Invalid or revoked API key' });
    if (ctx.audit) ctx.audit.apiKey = { id: key.id, name: key.name };
    const missing = scopes.filter((s) => !key.scopes.includes(s));
    if (missing.length) throw new TRPCError({ code: 'FORBIDDEN', message: `API key lacks scope ${missing.join(', ')}` });
    return next({ ctx: { ...ctx, apiKey: key } });
  });
}
