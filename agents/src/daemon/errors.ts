import type { AgentErrorCode, ErrorBody } from '@/agents/protocol';

/** Error a handler throws to answer a call with a specific protocol error code. */
export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly data?: Record<string, unknown>;
  constructor(code: AgentErrorCode, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = 'AgentError';
    this.code = code;
    this.data = data;
  }
}

export const isAgentError = (e: unknown): e is AgentError => e instanceof AgentError;

/** Wire error body for anything a handler threw; unexpected errors become INTERNAL. */
export function toErrorBody(e: unknown): ErrorBody {
  if (isAgentError(e)) return e.data ? { code: e.code, message: e.message, data: e.data } : { code: e.code, message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message: message || 'internal error' };
}
