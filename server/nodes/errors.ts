import type { ErrorBody } from '@/agents/protocol';
import { AppError, type AppErrorCode } from '@/server/errors';

const MAP: Record<string, AppErrorCode> = {
  VE_LOCKED: 'BUSY',
  VE_RUNNING: 'CONFLICT',
  VE_NOT_RUNNING: 'CONFLICT',
  VE_CANNOT_STOP: 'CONFLICT',
  VE_EXISTS: 'CONFLICT',
  IP_IN_USE: 'CONFLICT',
  NO_DISK_SPACE: 'CAPACITY',
  BAD_PARAMS: 'BAD_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  UNSUPPORTED: 'UNPROCESSABLE',
  VE_NO_INIT: 'UNPROCESSABLE',
  SHUTTING_DOWN: 'NODE_OFFLINE',
  OP_INTERRUPTED: 'INTERNAL',
  INTERNAL: 'INTERNAL',
  // Backups (issue 12): a locked repository clears by itself; the rest are said plainly.
  REPO_LOCKED: 'BUSY',
  REPO_FULL: 'CAPACITY',
  SNAPSHOT_LIMIT: 'CAPACITY',
  REPO_UNREACHABLE: 'UNPROCESSABLE',
  REPO_HOST_KEY_MISMATCH: 'FORBIDDEN',
  REPO_AUTH_FAILED: 'FORBIDDEN',
  REPO_WRONG_PASSWORD: 'FORBIDDEN',
  VERIFY_FAILED: 'UNPROCESSABLE',
};

/** Panel error code for an agent error code (any *_NOT_FOUND -> NOT_FOUND; unknown -> INTERNAL). */
export function appCodeOf(agentCode: string): AppErrorCode {
  return MAP[agentCode] ?? (agentCode.endsWith('_NOT_FOUND') ? 'NOT_FOUND' : 'INTERNAL');
}

/** Agent error -> AppError, keeping the agent's code and data (data.agentCode, data.field ...). */
export function agentError(body: ErrorBody, ctx: { node?: string; method: string; opId?: string }): AppError {
  return new AppError(appCodeOf(body.code), body.message, {
    ...body.data,
    agentCode: body.code,
    method: ctx.method,
    ...(ctx.node ? { node: ctx.node } : {}),
    ...(ctx.opId ? { opId: ctx.opId } : {}),
  });
}
