import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import { AppError, isAppError, type AppErrorCode } from '@/server/errors';

/** The one place AppError codes become tRPC codes (and so HTTP statuses, for tRPC and REST alike). */
const TRPC_CODE: Record<AppErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_INPUT: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNPROCESSABLE: 'UNPROCESSABLE_CONTENT',
  BUSY: 'CONFLICT',
  NODE_OFFLINE: 'SERVICE_UNAVAILABLE',
  CAPACITY: 'CONFLICT',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_SUPPORTED',
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

// Reverse direction for errors raised as TRPCError directly (auth middlewares, tRPC itself).
const APP_CODE: Partial<Record<TRPC_ERROR_CODE_KEY, AppErrorCode>> = {
  BAD_REQUEST: 'BAD_INPUT',
  PARSE_ERROR: 'BAD_INPUT',
  UNAUTHORIZED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNPROCESSABLE_CONTENT: 'UNPROCESSABLE',
  SERVICE_UNAVAILABLE: 'NODE_OFFLINE',
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INTERNAL_SERVER_ERROR: 'INTERNAL',
};

export function toTRPCError(e: AppError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[e.code], message: e.message, cause: e });
}

/** Path of the first failing field of a zod error, dotted ("limits.ram"), or undefined for the root. */
export function zodField(e: ZodError): string | undefined {
  const path = e.issues[0]?.path ?? [];
  return path.length ? path.map(String).join('.') : undefined;
}

export interface AppErrorData {
  appCode: AppErrorCode;
  field?: string;
  issues?: Array<{ path: string; message: string }>;
}

/**
 * Derives the public part of an error: app code, wrong field, and a message safe to show.
 * Unknown errors (not AppError, not a deliberate TRPCError) become a bare "Internal server
 * error" so stack traces, SQL and paths never reach a client.
 */
export function describeError(error: TRPCError): AppErrorData & { message: string } {
  const cause = error.cause;
  if (cause instanceof ZodError) {
    const field = zodField(cause);
    return {
      appCode: 'BAD_INPUT',
      field,
      message: field ? `Invalid value for ${field}: ${cause.issues[0]?.message}` : (cause.issues[0]?.message ?? 'Invalid input'),
      issues: cause.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    };
  }
  if (isAppError(cause)) {
    const field = typeof cause.data?.field === 'string' ? cause.data.field : undefined;
    return { appCode: cause.code, field, message: cause.message };
  }
  if (error.code === 'INTERNAL_SERVER_ERROR') return { appCode: 'INTERNAL', message: 'Internal server error' };
  return { appCode: APP_CODE[error.code] ?? 'INTERNAL', message: error.message };
}
