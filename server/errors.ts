/**
 * Typed errors thrown by services. The API edge (server/api/errors.ts) maps each code to a
 * tRPC/HTTP status once; the UI shows `message`. Never re-wrap a precise AppError into a
 * generic one.
 */
export const ERROR_CODES = {
  BAD_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNPROCESSABLE: 422,
  BUSY: 409,
  NODE_OFFLINE: 503,
  CAPACITY: 409,
  RATE_LIMITED: 429,
  // Raised by the HTTP edge (REST dispatcher, header limit), not by services.
  METHOD_NOT_ALLOWED: 405,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
} as const;

export type AppErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: AppErrorCode;
  /** Field that was wrong (for BAD_INPUT), or other structured detail. */
  readonly data?: Record<string, unknown>;
  constructor(code: AppErrorCode, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.data = data;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
