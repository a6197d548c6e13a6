// The panel's end of a node console stream: frames in and out over the node's transport.
import { EventEmitter } from 'node:events';
import { encodeFrame, FrameDecoder, type ConsoleFrame } from '@/agents/protocol/console';
import { AppError } from '@/server/errors';
import { getTransport, type NodeSpec } from './pool';
import type { RpcChannel } from './transport';

export interface NodeConsoleEvents {
  frame: [ConsoleFrame];
  /** The stream ended (shell exit, node gone, or close()); `reason` is set when it broke. */
  close: [reason?: string];
}

/**
 * One shell inside a VE on its node. Events: 'frame' (data/ready/exit/error from the agent),
 * 'close'. close() ends the node side (the agent kills the shell's session in the VE).
 */
export class NodeConsole extends EventEmitter<NodeConsoleEvents> {
  private closed = false;
  private readonly decoder = new FrameDecoder();

  constructor(private readonly channel: RpcChannel) {
    super();
    const { stream } = channel;
    stream.on('data', (chunk: Buffer) => {
      let frames: ConsoleFrame[];
      try {
        frames = this.decoder.push(chunk);
      } catch (e) {
        return this.finish(`bad frame from agent: ${(e as Error).message}`);
      }
      for (const f of frames) this.emit('frame', f);
    });
    stream.on('error', (e) => this.finish(e.message));
    stream.on('close', () => this.finish(channel.stderrTail().trim() || undefined));
    stream.on('end', () => this.finish());
  }

  get isClosed(): boolean { return this.closed; }

  /** Keyboard bytes; false when the node side is not keeping up (caller may pause its source). */
  write(data: Buffer): boolean {
    if (this.closed) return true;
    return this.channel.stream.write(encodeFrame({ type: 'data', data }));
  }

  resize(cols: number, rows: number): void {
    if (!this.closed) this.channel.stream.write(encodeFrame({ type: 'resize', cols, rows }));
  }

  /** Stop reading the node's output (the browser is slow); the agent then blocks on its pipe. */
  pause(): void { this.channel.stream.pause(); }
  resume(): void { this.channel.stream.resume(); }

  close(): void {
    this.finish();
  }

  private finish(reason?: string) {
    if (this.closed) return;
    this.closed = true;
    try { this.channel.close(); } catch { /* already gone */ }
    this.emit('close', reason);
  }
}

/** Opens a console to VE `ctid` on the node of `spec` (local child or an SSH channel on the pooled connection). */
export async function openNodeConsole(nodeId: string, spec: NodeSpec, ctid: number): Promise<NodeConsole> {
  const t = getTransport(nodeId, spec);
  if (!t.openConsoleStream) throw new AppError('UNPROCESSABLE', `the ${t.kind} transport has no console`);
  return new NodeConsole(await t.openConsoleStream(ctid));
}
