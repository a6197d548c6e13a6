import type { Logger } from 'pino';
import type { ErrorBody, MethodName, ParamsOf, ResultOf, AgentErrorCode } from '@/agents/protocol';
import type { AgentConfig } from './config';
import type { Undo } from '../sys/undo';

/** What a handler gets besides its params. */
export interface HandlerContext {
  /** Operation id of this call (the panel's task id); undefined for ad-hoc calls. */
  opId?: string;
  vzroot: string;
  config: AgentConfig;
  logger: Logger;
  /** Sends a progress notification to the caller (pct 0-100). */
  progress(pct: number, message?: string): void;
  /** Sends a log line to the caller (shown in the task log). */
  log(line: string, stream?: 'info' | 'stdout' | 'stderr'): void;
  /** Sends an `event` notification to the caller (e.g. one bulk.item per VE). */
  event?(type: string, data: Record<string, unknown>): void;
  /**
   * Takes another VE's lock for part of a call that names many VEs (bulk): a VE busy with
   * another operation is reported, never waited for. Only set for mutating calls.
   */
  tryLockVe?(ve: number): { ok: true; release: () => void } | { ok: false; holder: { method: string; opId: string } };
  /** Undo steps; unwound automatically when run() throws. */
  undo: Undo;
  /** Aborted when the daemon shuts down (handlers may ignore it and just finish). */
  signal: AbortSignal;
}

/** How a handler settles an operation that was running when the daemon died. */
export type RecoverOutcome<M extends MethodName> =
  | { outcome: 'done'; result: ResultOf<M> }
  | { outcome: 'failed'; code?: AgentErrorCode; message: string }
  /** Nothing happened (or it was cleaned up): running it again from scratch is safe. */
  | { outcome: 'rerun' };

export interface RecoverContext extends HandlerContext {
  /** When the interrupted attempt started and what it last reported. */
  interrupted: { startedAt: string; lastProgress?: string };
}

/**
 * A method implementation. `agents/src/handlers/<verb>.ts` exports one (via defineHandler) and
 * agents/src/handlers/index.ts lists it. Throw AgentError for protocol errors.
 */
export interface Handler<M extends MethodName = MethodName> {
  method: M;
  /** Must match the method table (checked at registration); defaults to it. */
  mutating?: boolean;
  /** The VE this call works on: the daemon locks it for mutating calls. */
  veOf?(params: ParamsOf<M>): number | undefined;
  run(params: ParamsOf<M>, ctx: HandlerContext): Promise<ResultOf<M>>;
  /** Inspect real state after a crash mid-operation and say what happened. */
  recover?(params: ParamsOf<M>, ctx: RecoverContext): Promise<RecoverOutcome<M>>;
}

// Handlers of different methods live in one list; params/result are checked per method by zod.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler = Handler<any>;

export const defineHandler = <M extends MethodName>(h: Handler<M>): Handler<M> => h;

export type Outcome = { ok: true; result: unknown } | { ok: false; error: ErrorBody };
