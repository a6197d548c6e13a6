import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ErrorBody, Notification, RequestId } from '@/agents/protocol';
import { methods, redactSecrets } from '@/agents/protocol';
import type { AgentConfig } from './config';
import { AgentError, toErrorBody } from './errors';
import type { Journal, JournalEntry } from './journal';
import { VeLocks } from './locks';
import type { AnyHandler, HandlerContext, Outcome } from './types';
import { Undo } from '../sys/undo';

type Listener = { requestId: RequestId; notify: (n: Notification) => void };

interface RunningOp {
  method: string;
  listeners: Set<Listener>;
  done: Promise<Outcome>;
}

/**
 * Runs mutating calls: per-VE lock, journal by opId (repeat -> recorded outcome, concurrent
 * repeat -> joins the running attempt), undo on failure, and settling of interrupted ops.
 */
export class Operations {
  private readonly running = new Map<string, RunningOp>();
  private readonly locks = new VeLocks();
  private readonly inflight = new Set<Promise<Outcome>>();
  readonly abort = new AbortController();

  constructor(
    private readonly config: AgentConfig,
    private readonly journal: Journal,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.inflight.size;
  }

  /** Takes a VE's lock for agent-internal work (the rate-cap keeper); undefined while an operation holds it. */
  lockVeInternal(ve: number, method: string): (() => void) | undefined {
    const l = this.locks.tryAcquire(ve, { method, opId: `internal-${randomUUID().slice(0, 8)}` });
    return l.ok ? l.release : undefined;
  }

  runningOp(opId: string): { method: string } | undefined {
    return this.running.get(opId);
  }

  /** Waits for running operations to finish (or the timeout) — used by graceful shutdown. */
  async drain(timeoutMs: number): Promise<boolean> {
    const all = Promise.allSettled([...this.inflight]).then(() => true);
    const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref());
    return Promise.race([all, timeout]);
  }

  execute(handler: AnyHandler, params: unknown, opId: string | undefined, listener: Listener): Promise<Outcome> {
    const method = handler.method as string;
    if (opId) {
      const cur = this.running.get(opId);
      if (cur) {
        if (cur.method !== method) return Promise.resolve(reuseError(opId, cur.method, method));
        cur.listeners.add(listener); // join the attempt already running in this daemon
        return cur.done;
      }
    }
    const op: RunningOp = { method, listeners: new Set([listener]), done: Promise.resolve({ ok: true, result: null }) };
    op.done = this.start(handler, params, opId, op);
    if (opId) this.running.set(opId, op);
    this.inflight.add(op.done);
    void op.done.finally(() => {
      this.inflight.delete(op.done);
      if (opId && this.running.get(opId) === op) this.running.delete(opId);
    });
    return op.done;
  }

  private async start(handler: AnyHandler, params: unknown, opId: string | undefined, op: RunningOp): Promise<Outcome> {
    const method = handler.method as string;
    const prior = opId ? await this.journal.get(opId) : undefined;
    if (prior && prior.method !== method) return reuseError(opId!, prior.method, method);
    if (prior && (prior.status === 'done' || prior.status === 'failed')) return recorded(prior);
    const ve = handler.veOf?.(params);
    const lock = ve === undefined ? undefined : this.locks.tryAcquire(ve, { method, opId: opId ?? `adhoc-${randomUUID().slice(0, 8)}` });
    if (lock && !lock.ok) {
      const h = lock.holder;
      return fail(new AgentError('VE_LOCKED', `VE ${ve} is busy with '${h.method}' (op ${h.opId})`, { ve, method: h.method, opId: h.opId }));
    }
    try {
      if (prior?.status === 'interrupted' || prior?.status === 'running') {
        const settled = await this.settleInterrupted(handler, params, prior, op);
        if (settled) return settled;
      }
      return await this.runFresh(handler, params, opId, ve, op);
    } finally {
      if (lock?.ok) lock.release();
    }
  }

  private context(opId: string | undefined, op: RunningOp, entry?: JournalEntry): HandlerContext {
    const logger = this.logger.child({ opId, method: op.method });
    let lastSaved = 0;
    const send = (n: Notification) => {
      for (const l of op.listeners) {
        try {
          l.notify({ ...n, params: { ...n.params, requestId: l.requestId, opId } } as Notification);
        } catch {
          // a closed connection must not break the operation
        }
      }
    };
    return {
      opId,
      vzroot: this.config.vzroot,
      config: this.config,
      logger,
      signal: this.abort.signal,
      undo: new Undo(logger),
      progress: (pct, message) => {
        send({ method: 'progress', params: { pct: Math.max(0, Math.min(100, pct)), message } });
        if (entry && message) {
          entry.lastProgress = `${Math.round(pct)}% ${message}`;
          // persisted (at most once a second) so recover() knows how far a crashed attempt got
          if (Date.now() - lastSaved > 1000) {
            lastSaved = Date.now();
            this.journal.put(entry).catch((e) => logger.warn({ err: (e as Error).message }, 'journal progress write failed'));
          }
        }
      },
      log: (line, stream = 'info') => send({ method: 'log', params: { line, stream } }),
      event: (type, data) => send({ method: 'event', params: { type, data } }),
      tryLockVe: (ve) => this.locks.tryAcquire(ve, { method: op.method, opId: opId ?? `adhoc-${randomUUID().slice(0, 8)}` }),
    };
  }

  private async runFresh(handler: AnyHandler, params: unknown, opId: string | undefined, ve: number | undefined, op: RunningOp): Promise<Outcome> {
    const entry = opId ? await this.journal.start(opId, op.method, ve, params) : undefined;
    const ctx = this.context(opId, op, entry);
    const t0 = Date.now();
    ctx.logger.info({ ve, params: redactSecrets(params) }, 'operation started');
    let outcome: Outcome;
    try {
      const result = checkResult(op.method, await handler.run(params, ctx));
      ctx.undo.commit();
      outcome = { ok: true, result };
    } catch (e) {
      const undoFailures = await ctx.undo.unwind();
      const error = toErrorBody(e);
      if (undoFailures.length) error.data = { ...error.data, undoFailures };
      outcome = { ok: false, error };
    }
    ctx.logger.info({ ve, ms: Date.now() - t0, error: outcome.ok ? undefined : outcome.error.code }, 'operation finished');
    if (entry) await this.record(entry, outcome);
    return outcome;
  }

  /** Returns the settled outcome, or undefined when the handler says a fresh run is safe. */
  private async settleInterrupted(handler: AnyHandler, params: unknown, prior: JournalEntry, op: RunningOp): Promise<Outcome | undefined> {
    const where = prior.ve !== undefined ? ` on VE ${prior.ve}` : '';
    const base = `operation ${prior.opId} ('${prior.method}'${where}) was interrupted by an agent restart (started ${prior.startedAt})`;
    if (!handler.recover) {
      const outcome = fail(new AgentError('OP_INTERRUPTED', `${base}; its outcome is unknown`, { opId: prior.opId }));
      await this.record(prior, outcome);
      return outcome;
    }
    const ctx = this.context(prior.opId, op);
    let r;
    try {
      r = await handler.recover(params, { ...ctx, interrupted: { startedAt: prior.startedAt, lastProgress: prior.lastProgress } });
    } catch (e) {
      // not recorded: a later repeat may settle it once the node is healthier
      return fail(new AgentError('OP_INTERRUPTED', `${base}; recovery failed: ${(e as Error).message}`, { opId: prior.opId }));
    }
    ctx.logger.warn({ outcome: r.outcome }, 'interrupted operation settled');
    if (r.outcome === 'rerun') return undefined;
    const outcome: Outcome = r.outcome === 'done'
      ? { ok: true, result: checkResult(op.method, r.result) }
      : fail(new AgentError(r.code ?? 'OP_INTERRUPTED', `${base}: ${r.message}`, { opId: prior.opId }));
    await this.record(prior, outcome);
    return outcome;
  }

  private async record(entry: JournalEntry, outcome: Outcome): Promise<void> {
    try {
      await this.journal.finish(entry, outcome.ok ? { result: outcome.result } : { error: outcome.error });
    } catch (e) {
      this.logger.error({ opId: entry.opId, err: (e as Error).message }, 'journal write failed');
    }
  }
}

function checkResult(method: string, result: unknown): unknown {
  const schema = (methods as Record<string, { result: { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { message: string } } } }>)[method]?.result;
  if (!schema) return result;
  const r = schema.safeParse(result);
  if (!r.success) throw new AgentError('INTERNAL', `handler for ${method} returned an invalid result: ${r.error?.message}`);
  return r.data;
}

const fail = (e: AgentError): Outcome => ({ ok: false, error: toErrorBody(e) });

function recorded(entry: JournalEntry): Outcome {
  if (entry.status === 'done') return { ok: true, result: entry.result };
  const error: ErrorBody = entry.error ?? { code: 'INTERNAL', message: 'operation failed' };
  return { ok: false, error };
}

const reuseError = (opId: string, was: string, now: string): Outcome =>
  fail(new AgentError('BAD_PARAMS', `opId ${opId} already belongs to '${was}', not '${now}'`, { field: 'opId' }));
