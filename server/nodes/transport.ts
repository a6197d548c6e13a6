import type { Duplex } from 'node:stream';

/**
 * One RPC byte stream to a node's agent: readable = the agent's output, writable = its input.
 * The same shape SshTransport.openRpcStream() returns, so the client works over either.
 */
export interface RpcChannel {
  stream: Duplex;
  /** Last few KB the agent side wrote to stderr (why a bridge failed to start). */
  stderrTail(): string;
  close(): void;
}

/**
 * How AgentClient reaches a node. Implementations: LocalTransport (child `vzagent rpc`) and
 * SshTransport (exec channel on the pooled SSH connection running the forced command).
 */
export interface AgentTransport {
  readonly kind: 'local' | 'ssh';
  /** Opens a fresh RPC stream; rejects (ideally with AppError NODE_OFFLINE/FORBIDDEN) when the node cannot be reached. */
  openRpcStream(): Promise<RpcChannel>;
  /**
   * Opens a web-console byte stream for VE `ctid` (`vzagent console <ctid>`, framed as in
   * agents/protocol/console.ts) beside the RPC stream; close() ends the shell on the node.
   */
  openConsoleStream?(ctid: number): Promise<RpcChannel>;
  /**
   * Opens the tarball stream of a backup export (`vzagent backup-export <token>`, a token from
   * ve.backup.export; console framing: DATA frames, then EXIT or ERROR). Issue 12.
   */
  openBackupExportStream?(token: string): Promise<RpcChannel>;
  /** Releases everything (node removed or panel stopping). */
  close(): Promise<void>;
}
