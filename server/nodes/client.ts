import type { Duplex } from 'node:stream';
import type { MethodName, Notification, ParamsIn, ResultOf } from '@/agents/protocol';
import { classifyMessage, LineSplitter, MAX_LINE_BYTES, methods, PROTOCOL_VERSION, protocolCompatible } from '@/agents/protocol';
import { AppError, isAppError } from '@/server/errors';
import { agentError } from './errors';
import type { AgentTransport, RpcChannel } from './transport';

export interface CallOptions {
  /** The task's operation id: the agent journals the call under it (repeat -> recorded result). */
  opId?: string;
  timeoutMs?: number;
  /** progress/log/event notifications that belong to this call. */
  onNotification?: (n: Notification) => void;
}

export interface AgentClientOptions {
  /** Node name or id, for messages and error data. */
  node?: string;
  readTimeoutMs?: number;
  mutatingTimeoutMs?: number;
  /** Sends of one call across reconnects (only calls with an opId, or reads, are re-sent). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Notifications no pending call claims (node-wide events). */
  onUnrouted?: (n: Notification) => void;
}

interface Pending {
  id: number;
  method: string;
  params: unknown;
  opId?: string;
  retryable: boolean;
  attempts: number;
  channel?: RpcChannel;
  onNotification?: (n: Notification) => void;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * Typed RPC client for one node's agent over any AgentTransport. Many calls share one stream.
 * When the stream drops, calls that are safe to repeat (reads, and mutating calls with an opId,
 * which the agent's journal makes idempotent) are re-sent after a bounded backoff; others fail
 * with NODE_OFFLINE and an unknown outcome.
 */
export class AgentClient {
  private channel: RpcChannel | undefined;
  private connecting: Promise<RpcChannel> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failures = 0;
  private closed = false;
  private lastReason = '';
  private helloCache: Promise<ResultOf<'hello'>> | undefined;
  private readonly o: Required<Omit<AgentClientOptions, 'onUnrouted' | 'node'>> & AgentClientOptions;

  constructor(private readonly transport: AgentTransport, opts: AgentClientOptions = {}) {
    this.o = { readTimeoutMs: 30_000, mutatingTimeoutMs: 15 * 60_000, maxAttempts: 3, backoffBaseMs: 100, backoffMaxMs: 2_000, ...opts };
  }

  /** A client over an already-open duplex stream (tests, or a stream from elsewhere); no reconnect. */
  static overStream(stream: Duplex, opts: AgentClientOptions = {}): AgentClient {
    let used = false;
    const transport: AgentTransport = {
      kind: 'local',
      async openRpcStream() {
        if (used) throw new AppError('NODE_OFFLINE', 'stream closed');
        used = true;
        return { stream, stderrTail: () => '', close: () => stream.destroy() };
      },
      async close() {
        stream.destroy();
      },
    };
    return new AgentClient(transport, { maxAttempts: 1, ...opts });
  }

  private get label(): string {
    return this.o.node ? `node ${this.o.node}` : 'the node agent';
  }

  call<M extends MethodName>(method: M, params: ParamsIn<M>, opts: CallOptions = {}): Promise<ResultOf<M>> {
    const def = methods[method];
    if (!def) return Promise.reject(new AppError('INTERNAL', `unknown agent method ${method}`));
    const check = def.params.safeParse(params);
    if (!check.success) {
      const i = check.error.issues[0];
      const field = i?.path.map(String).join('.') ?? '';
      return Promise.reject(new AppError('BAD_INPUT', `invalid params for ${method}: ${field}: ${i?.message}`, { field }));
    }
    if (this.closed) return Promise.reject(new AppError('NODE_OFFLINE', `client for ${this.label} is closed`));
    const timeoutMs = opts.timeoutMs ?? (def.mutating ? this.o.mutatingTimeoutMs : this.o.readTimeoutMs);
    return new Promise<unknown>((resolve, reject) => {
      const id = this.nextId++;
      const p: Pending = {
        id, method, params, opId: opts.opId, retryable: !def.mutating || !!opts.opId, attempts: 0,
        onNotification: opts.onNotification, resolve, reject,
        timer: setTimeout(() => {
          this.pending.delete(id);
          reject(new AppError('NODE_OFFLINE', `${this.label} did not answer ${method} within ${timeoutMs} ms`, {
            reason: 'timeout', method, ...(opts.opId ? { opId: opts.opId } : {}),
          }));
        }, timeoutMs),
      };
      this.pending.set(id, p);
      this.send(p);
    }).then((result) => {
      const r = def.result.safeParse(result);
      if (!r.success) throw new AppError('INTERNAL', `${this.label} returned an invalid result for ${method}: ${r.error.issues[0]?.message}`, { method });
      return r.data as ResultOf<M>;
    });
  }

  /** Handshake (cached per client): agent version and capabilities; refuses an incompatible protocol. */
  hello(): Promise<ResultOf<'hello'>> {
    this.helloCache ??= this.call('hello', {}).then((h) => {
      if (!protocolCompatible(h.protocolVersion)) {
        throw new AppError('UNPROCESSABLE', `${this.label} speaks agent protocol ${h.protocolVersion}, the panel speaks ${PROTOCOL_VERSION}`, { protocolVersion: h.protocolVersion });
      }
      return h;
    });
    this.helloCache.catch(() => (this.helloCache = undefined));
    return this.helloCache;
  }

  get connected(): boolean {
    return !!this.channel;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) this.settle(p, new AppError('NODE_OFFLINE', `client for ${this.label} closed during ${p.method}`));
    this.channel?.close();
    this.channel = undefined;
    await this.transport.close();
  }

  private send(p: Pending): void {
    this.ensureChannel().then(
      (ch) => {
        if (!this.pending.has(p.id)) return;
        p.attempts++;
        p.channel = ch;
        const req = { id: p.id, method: p.method, params: p.params, ...(p.opId ? { opId: p.opId } : {}) };
        ch.stream.write(`${JSON.stringify(req)}\n`);
      },
      (e) => this.settle(p, e),
    );
  }

  private settle(p: Pending, err?: unknown, result?: unknown): void {
    if (!this.pending.delete(p.id)) return;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(result);
  }

  private ensureChannel(): Promise<RpcChannel> {
    if (this.closed) return Promise.reject(new AppError('NODE_OFFLINE', `client for ${this.label} is closed`));
    if (this.channel) return Promise.resolve(this.channel);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<RpcChannel> {
    for (;;) {
      if (this.failures > 0) {
        await new Promise((r) => setTimeout(r, Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** (this.failures - 1))));
      }
      try {
        const ch = await this.transport.openRpcStream();
        this.attach(ch);
        return ch;
      } catch (e) {
        this.failures++;
        if (isAppError(e) && e.code === 'FORBIDDEN') throw e; // host key mismatch / key refused: retrying cannot help
        if (this.failures >= this.o.maxAttempts + 1) {
          this.failures = this.o.maxAttempts; // keep backing off at the cap, but let a later call try again
          throw isAppError(e) ? e : new AppError('NODE_OFFLINE', `${this.label} is unreachable: ${(e as Error).message}`);
        }
      }
    }
  }

  private attach(ch: RpcChannel): void {
    this.channel = ch;
    const splitter = new LineSplitter(MAX_LINE_BYTES);
    let heard = false;
    let lost = false;
    const onLost = (why?: string) => {
      if (lost) return;
      lost = true;
      if (!heard) this.failures++;
      this.lastReason = ch.stderrTail().trim().split('\n').at(-1) || why || 'connection closed';
      this.channelLost(ch);
    };
    ch.stream.setEncoding('utf8');
    ch.stream.on('data', (chunk: string) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch (e) {
        ch.close();
        return onLost((e as Error).message);
      }
      if (lines.length && !heard) {
        heard = true;
        this.failures = 0;
      }
      for (const line of lines) this.onLine(line);
    });
    ch.stream.on('error', (e) => onLost(e.message));
    ch.stream.on('close', () => onLost());
    ch.stream.on('end', () => onLost());
  }

  private channelLost(ch: RpcChannel): void {
    if (this.channel === ch) this.channel = undefined;
    this.helloCache = undefined; // the agent may come back as another version
    ch.close();
    for (const p of [...this.pending.values()]) {
      if (p.channel !== ch) continue;
      p.channel = undefined;
      if (p.retryable && p.attempts < this.o.maxAttempts && !this.closed) {
        this.send(p); // same id and opId: the agent's journal returns or joins the first attempt
        continue;
      }
      // the bridge says it never reached the daemon: the call certainly did not run
      const unreachable = /cannot reach vzagentd/.test(this.lastReason);
      const msg = unreachable
        ? `${this.label} is unreachable: ${this.lastReason}`
        : `lost connection to ${this.label} during ${p.method} (${this.lastReason}); outcome unknown`;
      this.settle(p, new AppError('NODE_OFFLINE', msg, {
        method: p.method, reason: unreachable ? 'unreachable' : 'connection-lost', ...(p.opId ? { opId: p.opId } : {}),
      }));
    }
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line);
    } catch {
      return; // a non-JSON line (e.g. a login banner) is not ours
    }
    const kind = classifyMessage(msg);
    if (kind === 'response') {
      const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
      if (!p) return; // late answer to a call that already timed out
      if (msg.error) this.settle(p, agentError(msg.error as never, { node: this.o.node, method: p.method, opId: p.opId }));
      else this.settle(p, undefined, msg.result);
    } else if (kind === 'notification') {
      this.route(msg as unknown as Notification);
    }
  }

  private route(n: Notification): void {
    const { requestId, opId } = n.params ?? {};
    const byId = typeof requestId === 'number' ? this.pending.get(requestId) : undefined;
    const targets = byId ? [byId] : opId ? [...this.pending.values()].filter((p) => p.opId === opId) : [];
    for (const p of targets) p.onNotification?.(n);
    if (targets.length === 0) this.o.onUnrouted?.(n);
  }
}
