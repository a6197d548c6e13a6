// Errors the runtime throws; codes are the wire codes of agents/protocol (they mirror vzctl exit codes).
import type { AgentErrorCode } from '../../protocol/errors';

export { exitCodeOf } from '../../protocol/errors';
export type VeErrorCode = AgentErrorCode;

/** A runtime error with a wire code; the daemon sends `{code, message, data}` as-is. */
export class VeError extends Error {
  readonly code: VeErrorCode;
  readonly data?: Record<string, unknown>;
  constructor(code: VeErrorCode, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = 'VeError';
    this.code = code;
    this.data = data;
  }
}

export const isVeError = (e: unknown): e is VeError => e instanceof VeError;
