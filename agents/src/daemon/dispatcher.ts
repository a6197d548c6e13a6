import type { Logger } from 'pino';
import type { Notification, Request, Response } from '@/agents/protocol';
import { methods, isMethodName, RequestSchema } from '@/agents/protocol';
import type { AgentConfig } from './config';
import { AgentError, toErrorBody } from './errors';
import type { Journal } from './journal';
import { Operations } from './operations';
import { setRegisteredMethods } from './registry-state';
import type { AnyHandler, HandlerContext, Outcome } from './types';
import { Undo } from '../sys/undo';
import { badParams, parseOrBadParams } from '../sys/params';

/** Routes one request to its handler: validates, then runs reads directly and mutating calls via Operations. */
export class Dispatcher {
  private readonly handlers = new Map<string, AnyHandler>();
  readonly ops: Operations;
  private shuttingDown = false;

  constructor(
    private readonly config: AgentConfig,
    private readonly journal: Journal,
    private readonly logger: Logger,
    handlers: AnyHandler[],
  ) {
    for (const h of handlers) this.register(h);
    setRegisteredMethods([...this.handlers.keys(), 'op.status']);
    this.ops = new Operations(config, journal, logger);
  }

  private register(h: AnyHandler): void {
    const name = h.method as string;
    if (!isMethodName(name)) throw new Error(`handler for unknown method ${name}: add it to agents/protocol/methods`);
    if (this.handlers.has(name)) throw new Error(`two handlers for ${name}`);
    const mutating = methods[name].mutating;
    if (h.mutating !== undefined && h.mutating !== mutating) throw new Error(`handler ${name}: mutating=${h.mutating} but the method table says ${mutating}`);
    this.handlers.set(name, h);
  }

  /** Stop taking mutating work; running operations continue and are awaited by drain(). */
  beginShutdown(): void {
    this.shuttingDown = true;
    this.ops.abort.abort();
  }

  async handle(raw: unknown, notify: (n: Notification) => void): Promise<Response> {
    const env = RequestSchema.safeParse(raw);
    if (!env.success) {
      const id = (raw as { id?: unknown })?.id;
      const safeId = typeof id === 'string' || typeof id === 'number' ? id : null;
      return { id: safeId, error: toErrorBody(badParams(env.error, { what: 'bad request' })) };
    }
    const req = env.data;
    const outcome = await this.dispatch(req, notify).catch((e): Outcome => ({ ok: false, error: toErrorBody(e) }));
    return outcome.ok ? { id: req.id, result: outcome.result } : { id: req.id, error: outcome.error };
  }

  private async dispatch(req: Request, notify: (n: Notification) => void): Promise<Outcome> {
    if (req.method === 'op.status') return { ok: true, result: await this.opStatus(req.params) };
    const handler = this.handlers.get(req.method);
    if (!handler) {
      if (isMethodName(req.method)) throw new AgentError('UNSUPPORTED', `method ${req.method} is not available on this agent`);
      throw new AgentError('NOT_FOUND', `unknown method ${req.method}`);
    }
    const def = methods[req.method as keyof typeof methods];
    const params = parseOrBadParams(def.params, req.params, { what: `invalid params for ${req.method}` });
    if (def.mutating) {
      if (this.shuttingDown) throw new AgentError('SHUTTING_DOWN', 'the agent is shutting down; retry with the same opId');
      return this.ops.execute(handler, params, req.opId, { requestId: req.id, notify });
    }
    const ctx = this.readContext(req, notify);
    const result = await handler.run(params, ctx);
    return { ok: true, result: def.result.parse(result) };
  }

  private readContext(req: Request, notify: (n: Notification) => void): HandlerContext {
    const base = { requestId: req.id, opId: req.opId };
    const logger = this.logger.child({ method: req.method, requestId: req.id });
    return {
      opId: req.opId,
      vzroot: this.config.vzroot,
      config: this.config,
      logger,
      signal: this.ops.abort.signal,
      undo: new Undo(logger),
      progress: (pct, message) => notify({ method: 'progress', params: { ...base, pct, message } }),
      log: (line, stream = 'info') => notify({ method: 'log', params: { ...base, line, stream } }),
      event: (type, data) => notify({ method: 'event', params: { ...base, type, data } }),
    };
  }

  private async opStatus(rawParams: unknown) {
    const { opId } = parseOrBadParams(methods['op.status'].params, rawParams, { what: 'invalid params for op.status' });
    const live = this.ops.runningOp(opId);
    const entry = await this.journal.get(opId);
    if (!entry) return { opId, method: live?.method ?? '', status: live ? 'running' as const : 'unknown' as const };
    return {
      opId,
      method: entry.method,
      status: entry.status,
      startedAt: entry.startedAt,
      finishedAt: entry.finishedAt,
      error: entry.error ? { code: entry.error.code, message: entry.error.message } : undefined,
    };
  }
}
