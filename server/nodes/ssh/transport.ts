// One pooled SSH connection per node to the node's own OpenSSH, with a pinned host key.
import { EventEmitter } from 'node:events';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { AppError } from '@/server/errors';
import type { AgentTransport, RpcChannel } from '../transport';
import { fingerprintOfBlob } from './keys';
import { consoleCommand } from '@/agents/protocol/console';
import { EXPORT_TOKEN } from '../local';

export interface SshTarget {
  /** Node name, for error messages only. */
  name?: string;
  host: string;
  port: number;
  username?: string;
  /** `SHA256:...` pinned when the node was added; any other host key is refused. */
  hostKeyFingerprint: string;
  /** OpenSSH private key (secret). */
  privateKey?: string | Buffer;
  /** Only for the one-time bootstrap credential; never stored. */
  password?: string;
}

export interface SshTransportOptions {
  /** TCP connect + handshake + auth must finish within this. */
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Connect attempts per reconnect cycle (bounded), with exponential backoff between them. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Whole reconnect cycle deadline: a call on an unreachable node fails within about this. */
  connectDeadlineMs?: number;
  /** After a failed cycle, calls within this window fail at once instead of re-dialling. */
  offlineCooldownMs?: number;
  /** What we ask sshd to exec; the forced command replaces it on a restricted key anyway. */
  rpcCommand?: string;
}

const DEFAULTS: Required<SshTransportOptions> = {
  readyTimeoutMs: 5_000,
  // a silent (hung) node is dropped after interval * (countMax + 1) = 12 s
  keepaliveIntervalMs: 4_000,
  keepaliveCountMax: 2,
  maxAttempts: 3,
  backoffBaseMs: 200,
  backoffMaxMs: 2_000,
  connectDeadlineMs: 6_000,
  offlineCooldownMs: 1_000,
  rpcCommand: 'vzagent rpc',
};

export type SshTransportState = 'idle' | 'connecting' | 'ready' | 'offline' | 'closed';

/** Errors that retrying cannot fix: the node is not who we think, or our key is not accepted. */
const isFatal = (e: unknown) => e instanceof AppError && e.code === 'FORBIDDEN';

/**
 * SSH transport to one node. Holds at most one ssh2 connection and opens channels on it
 * (the RPC exec channel, later console/migration channels). Host key check: the presented
 * key's SHA256 fingerprint must equal the pinned one, or the handshake is aborted before
 * user authentication, so no credential and no request ever reaches an impostor.
 * Events: 'state' (SshTransportState), 'connect', 'disconnect' (Error|undefined), 'hostKeyMismatch' ({presented, pinned}).
 */
export class SshTransport extends EventEmitter implements AgentTransport {
  readonly kind = 'ssh' as const;
  private readonly opts: Required<SshTransportOptions>;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private offlineError: AppError | undefined;
  private offlineUntil = 0;
  private _state: SshTransportState = 'idle';
  /** Successful SSH logins made by this transport (tests assert pooling with it). */
  connectCount = 0;

  constructor(private readonly target: SshTarget, opts: SshTransportOptions = {}) {
    super();
    this.opts = { ...DEFAULTS, ...opts };
  }

  get state(): SshTransportState { return this._state; }
  private get label() { return `${this.target.name ?? 'node'} (${this.target.host}:${this.target.port})`; }

  private setState(s: SshTransportState) {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
  }

  /** The pooled connection, dialling (with bounded retry) only when there is none. */
  async connection(): Promise<Client> {
    if (this._state === 'closed') throw new AppError('NODE_OFFLINE', `transport to ${this.label} is closed`);
    if (this.client) return this.client;
    if (this.connecting) return this.connecting;
    if (this.offlineError && Date.now() < this.offlineUntil) throw this.offlineError;
    this.connecting = this.connectWithRetry().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private async connectWithRetry(): Promise<Client> {
    this.setState('connecting');
    const deadline = Date.now() + this.opts.connectDeadlineMs;
    let lastErr: unknown;
    for (let attempt = 0; attempt < this.opts.maxAttempts; attempt++) {
      try {
        const c = await this.connectOnce(Math.max(500, Math.min(this.opts.readyTimeoutMs, deadline - Date.now())));
        this.offlineError = undefined;
        return c;
      } catch (e) {
        lastErr = e;
        if (isFatal(e) || this._state === 'closed') break;
        const wait = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** attempt);
        if (attempt + 1 >= this.opts.maxAttempts || Date.now() + wait >= deadline) break;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    const err = isFatal(lastErr)
      ? (lastErr as AppError)
      : new AppError('NODE_OFFLINE', `node ${this.label} is unreachable: ${(lastErr as Error)?.message ?? 'unknown error'}`, {
        host: this.target.host, port: this.target.port,
      });
    this.offlineError = err;
    this.offlineUntil = Date.now() + this.opts.offlineCooldownMs;
    if (this._state !== 'closed') this.setState('offline');
    throw err;
  }

  private connectOnce(readyTimeout: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const c = new Client();
      let mismatch: { presented: string; pinned: string } | undefined;
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        c.removeAllListeners('ready');
        c.on('error', () => { /* late errors of a discarded client */ });
        c.end();
        if (mismatch) {
          this.emit('hostKeyMismatch', mismatch);
          reject(new AppError('FORBIDDEN', `host key of ${this.label} does not match the pinned key: refusing to talk to it`, {
            reason: 'HOST_KEY_MISMATCH', ...mismatch,
          }));
        } else if (/authentication methods failed/i.test(e.message)) {
          reject(new AppError('FORBIDDEN', `${this.label} refused the panel's SSH key`, { reason: 'AUTH_FAILED' }));
        } else {
          reject(e);
        }
      };
      // Servers that take passwords only via keyboard-interactive (PAM) get the same one-time password.
      c.on('keyboard-interactive', (_n, _i, _l, prompts, finish) => finish(prompts.map(() => this.target.password ?? '')));
      c.once('ready', () => {
        settled = true;
        this.adopt(c);
        resolve(c);
      });
      c.on('error', fail);
      c.once('close', () => fail(new Error('connection closed during handshake')));
      const cfg: ConnectConfig = {
        host: this.target.host,
        port: this.target.port,
        username: this.target.username ?? 'root',
        privateKey: this.target.privateKey,
        password: this.target.password,
        readyTimeout: readyTimeout,
        keepaliveInterval: this.opts.keepaliveIntervalMs,
        keepaliveCountMax: this.opts.keepaliveCountMax,
        tryKeyboard: !!this.target.password,
        // Called with the raw host key blob before any user authentication is attempted.
        hostVerifier: (key: Buffer) => {
          const presented = fingerprintOfBlob(key);
          if (presented === this.target.hostKeyFingerprint) return true;
          mismatch = { presented, pinned: this.target.hostKeyFingerprint };
          return false;
        },
      };
      try {
        c.connect(cfg);
      } catch (e) {
        fail(e as Error);
      }
    });
  }

  private adopt(c: Client) {
    this.client = c;
    this.connectCount++;
    this.setState('ready');
    this.emit('connect');
    let lastErr: Error | undefined;
    c.on('error', (e) => { lastErr = e; });
    c.once('close', () => {
      if (this.client === c) this.client = undefined;
      if (this._state !== 'closed') this.setState('idle');
      this.emit('disconnect', lastErr);
    });
  }

  /**
   * Open an exec channel on the pooled connection. On a restricted key sshd runs the forced
   * command whatever `command` says. If the pooled connection turns out to be dead, one fresh
   * connection is tried before giving up with NODE_OFFLINE.
   */
  async exec(command: string): Promise<ClientChannel> {
    for (let tries = 0; ; tries++) {
      const c = await this.connection();
      try {
        return await new Promise<ClientChannel>((resolve, reject) => {
          c.exec(command, (err, ch) => (err ? reject(err) : resolve(ch)));
        });
      } catch (e) {
        const dead = this.client !== c || /not connected|no response|closed/i.test((e as Error).message);
        if (dead && tries === 0) { this.drop(c); continue; }
        if (dead) throw new AppError('NODE_OFFLINE', `node ${this.label}: connection lost (${(e as Error).message})`);
        throw new AppError('INTERNAL', `node ${this.label}: cannot open SSH channel: ${(e as Error).message}`);
      }
    }
  }

  /** The RPC byte stream: a duplex over the `vzagent rpc` exec channel (stderr drained, tail kept). */
  async openRpcStream(): Promise<RpcChannel> {
    const ch = await this.exec(this.opts.rpcCommand);
    return wrapChannel(ch);
  }

  /** A console channel on the pooled connection; the node's forced command reads the ctid from SSH_ORIGINAL_COMMAND. */
  async openConsoleStream(ctid: number): Promise<RpcChannel> {
    if (!Number.isInteger(ctid) || ctid < 100) throw new AppError('BAD_INPUT', `bad ctid ${ctid}`);
    return wrapChannel(await this.exec(consoleCommand(ctid)));
  }

  /** A backup export stream on the pooled connection (`vzagent backup-export <token>`, read by the forced command). */
  async openBackupExportStream(token: string): Promise<RpcChannel> {
    if (!EXPORT_TOKEN.test(token)) throw new AppError('BAD_INPUT', 'bad export token');
    return wrapChannel(await this.exec(`vzagent backup-export ${token}`));
  }

  private drop(c: Client) {
    if (this.client === c) this.client = undefined;
    c.end();
  }

  /** Close the connection now; a later call dials again. */
  disconnect(): void {
    if (this.client) this.drop(this.client);
  }

  /** Close for good (node removed or panel shutting down). */
  async close(): Promise<void> {
    this.setState('closed');
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    // a hung node never acknowledges the disconnect: drop the socket after 2 s so nothing stays half-open
    await new Promise<void>((r) => { c.once('close', () => r()); c.end(); setTimeout(() => { c.destroy(); r(); }, 2000).unref(); });
  }
}

function wrapChannel(ch: ClientChannel): RpcChannel {
  let tail = '';
  ch.stderr.setEncoding('utf8');
  ch.stderr.on('data', (s: string) => { tail = (tail + s).slice(-4096); });
  return {
    stream: ch,
    stderrTail: () => tail,
    close: () => { ch.end(); ch.close(); },
  };
}
