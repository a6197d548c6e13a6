import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duplex, type Readable, type Writable } from 'node:stream';
import { AppError } from '@/server/errors';
import type { AgentTransport, RpcChannel } from './transport';

/** An export token as the agent makes them; anything else never reaches an argv or a command line. */
export const EXPORT_TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** agents/bin/vzagent of this checkout (VZ_AGENT_BIN overrides, e.g. an installed agent). */
export const defaultAgentBin = (): string =>
  process.env.VZ_AGENT_BIN ?? path.resolve(import.meta.dirname, '..', '..', 'agents', 'bin', 'vzagent');

export interface LocalTransportOptions {
  /** The daemon's unix socket. */
  socket: string;
  agentBin?: string;
}

/**
 * The child's stdout and stdin as one stream. Not `Duplex.from`: when the child exits, Node resumes its
 * stdout to flush it, and a `Duplex.from` reader paused for backpressure at that moment loses the tail
 * (the last chunks of a download and its exit frame) and sees a premature close. Here every chunk is
 * pushed into the stream's own buffer (only a live child is held back, by pausing its pipe).
 */
function childDuplex(out: Readable, input: Writable): Duplex {
  const stream = new Duplex({
    read: () => { out.resume(); },
    write: (chunk: Buffer, _enc, cb) => { input.write(chunk, cb); },
    final: (cb) => { input.end(cb); },
  });
  out.on('data', (b: Buffer) => { if (!stream.push(b)) out.pause(); });
  out.once('end', () => stream.push(null));
  out.once('error', (e) => stream.destroy(e));
  return stream;
}

/**
 * The all-in-one transport: spawns `vzagent rpc --socket S` as a child and speaks over its
 * stdin/stdout. A child that exits ends the channel; AgentClient reconnects with backoff.
 */
export class LocalTransport implements AgentTransport {
  readonly kind = 'local' as const;
  private readonly bin: string;
  private readonly channels = new Set<RpcChannel>();
  private closed = false;

  constructor(private readonly opts: LocalTransportOptions) {
    this.bin = opts.agentBin ?? defaultAgentBin();
  }

  async openRpcStream(): Promise<RpcChannel> {
    return this.spawnAgent(['rpc', '--socket', this.opts.socket]);
  }

  /** `vzagent console <ctid>` as a child; killing it (close) ends the VE shell. */
  async openConsoleStream(ctid: number): Promise<RpcChannel> {
    if (!Number.isInteger(ctid) || ctid < 100) throw new AppError('BAD_INPUT', `bad ctid ${ctid}`);
    return this.spawnAgent(['console', String(ctid), '--socket', this.opts.socket]);
  }

  /** `vzagent backup-export <token>` as a child: the tarball stream of one backup export. */
  async openBackupExportStream(token: string): Promise<RpcChannel> {
    if (!EXPORT_TOKEN.test(token)) throw new AppError('BAD_INPUT', 'bad export token');
    return this.spawnAgent(['backup-export', token, '--socket', this.opts.socket]);
  }

  private async spawnAgent(args: string[]): Promise<RpcChannel> {
    if (this.closed) throw new AppError('NODE_OFFLINE', 'local agent transport is closed');
    if (!existsSync(this.bin)) throw new AppError('NODE_OFFLINE', `agent binary ${this.bin} is missing (run npm run agent:build)`);
    const child = spawn(this.bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let tail = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      tail = (tail + s).slice(-4096);
    });
    const stream = childDuplex(child.stdout, child.stdin);
    child.stdin.on('error', () => {}); // EPIPE when the bridge died; surfaced as a close
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new AppError('NODE_OFFLINE', `cannot start ${this.bin}: ${e.message}`)));
    });
    const channel: RpcChannel = {
      stream,
      stderrTail: () => tail,
      close: () => {
        child.stdin.end();
        child.kill('SIGTERM');
        stream.destroy();
      },
    };
    this.channels.add(channel);
    // The child is gone once its stdout hit EOF, but what the stream still buffers (a reader paused for
    // backpressure: the tail of a download and its exit frame) is delivered before the stream closes.
    child.once('close', () => {
      this.channels.delete(channel);
      if (stream.readableEnded) stream.destroy();
      else stream.once('end', () => stream.destroy());
    });
    return channel;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.channels) c.close();
  }
}
