// Reads the AppError code/message/field out of whatever the tRPC client threw, so every
// screen shows one clear message per code (STYLE.md habit 2).

import type { AppErrorCode as ServerErrorCode } from '@/server/errors';

/** The server's codes (one list, server/errors.ts), plus NETWORK: the request never got an answer. */
export type AppErrorCode = ServerErrorCode | 'NETWORK';

export type UiError = { code: AppErrorCode; message: string; field?: string };

// tRPC's own codes, for errors that never went through AppError (e.g. zod input errors).
const fromTrpcCode: Record<string, AppErrorCode> = {
  BAD_REQUEST: 'BAD_INPUT', PARSE_ERROR: 'BAD_INPUT', UNAUTHORIZED: 'UNAUTHENTICATED', FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND', CONFLICT: 'CONFLICT', UNPROCESSABLE_CONTENT: 'UNPROCESSABLE', TOO_MANY_REQUESTS: 'RATE_LIMITED',
  PRECONDITION_FAILED: 'CONFLICT', SERVICE_UNAVAILABLE: 'NODE_OFFLINE', INTERNAL_SERVER_ERROR: 'INTERNAL',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_ALLOWED', PAYLOAD_TOO_LARGE: 'TOO_LARGE', UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

export const titles: Record<AppErrorCode, string> = {
  BAD_INPUT: 'Please check the form',
  UNAUTHENTICATED: 'Not signed in',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  UNPROCESSABLE: 'Cannot do that',
  BUSY: 'Busy',
  NODE_OFFLINE: 'Node offline',
  CAPACITY: 'Not enough capacity',
  RATE_LIMITED: 'Too many attempts',
  METHOD_NOT_ALLOWED: 'Not supported',
  TOO_LARGE: 'Too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported format',
  INTERNAL: 'Something went wrong',
  NETWORK: 'Cannot reach the panel',
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Normalises a thrown value (TRPCClientError, fetch failure, anything) into code + message + field. */
export function toUiError(err: unknown): UiError {
  if (!isRecord(err)) return { code: 'INTERNAL', message: String(err) };
  const data = isRecord(err.data) ? err.data : undefined;
  const message = typeof err.message === 'string' ? err.message : 'Unknown error';
  if (!data) {
    // No tRPC envelope: the request never got an answer.
    return { code: 'NETWORK', message: /fetch|network/i.test(message) ? 'The panel did not answer. Check your connection.' : message };
  }
  const app = isRecord(data.appError) ? data.appError : undefined;
  const raw = (data.appCode ?? app?.code ?? data.code) as string | undefined;
  const code: AppErrorCode = raw && raw in titles ? (raw as AppErrorCode) : fromTrpcCode[raw ?? ''] ?? 'INTERNAL';
  const detail = isRecord(data.data) ? data.data : isRecord(app?.data) ? app.data : data;
  const field = typeof detail.field === 'string' ? detail.field : undefined;
  return { code, message, field };
}

/** The code of a thrown value, for branching (e.g. 'UNAUTHENTICATED' on login). */
export const errorCode = (err: unknown): AppErrorCode => toUiError(err).code;
