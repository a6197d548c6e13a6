import net from 'node:net';
import type { MethodName, Notification, ParamsIn, ResultOf } from '@/agents/protocol';
import { classifyMessage, LineSplitter, MAX_LINE_BYTES } from '@/agents/protocol';
import { AgentError } from '../daemon/errors';

export interface DaemonCallOptions {
  opId?: string;
  onNotification?: (n: Notification) => void;
}

/**
 * One call to the local vzagentd over its unix socket (for node-side CLIs such as vzctl).
 * Resolves with the result; an agent error is thrown as AgentError (use exitCodeOf(e.code)).
 * Results are not re-validated here: the daemon already checked them against the method table.
 */
export function callDaemon<M extends MethodName>(socket: string, method: M, params: ParamsIn<M>, opts: DaemonCallOptions = {}): Promise<ResultOf<M>> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socket);
    const splitter = new LineSplitter(MAX_LINE_BYTES);
    let settled = false;
    const done = (err: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      conn.destroy();
      if (err) reject(err);
      else resolve(result as ResultOf<M>);
    };
    conn.once('error', (e) => done(new AgentError('INTERNAL', `cannot reach vzagentd at ${socket}: ${e.message}`)));
    conn.once('close', () => done(new AgentError('INTERNAL', 'vzagentd closed the connection before answering')));
    conn.once('connect', () => conn.write(`${JSON.stringify({ id: 1, method, params, ...(opts.opId ? { opId: opts.opId } : {}) })}\n`));
    conn.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of splitter.push(chunk)) {
        const msg = JSON.parse(line) as Record<string, unknown>;
        const kind = classifyMessage(msg);
        if (kind === 'notification') opts.onNotification?.(msg as unknown as Notification);
        if (kind !== 'response') continue;
        const err = msg.error as { code: never; message: string; data?: Record<string, unknown> } | undefined;
        if (err) done(new AgentError(err.code, err.message, err.data));
        else done(undefined, msg.result);
      }
    });
  });
}

const GLOBAL_FLAGS = new Set(['--socket', '--vzroot', '--bridge']);

/** `--help`, `-h` or `help` in place of the verb (after any global flags): the caller prints its usage and exits 0. */
export function wantsHelp(argv: string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    if (GLOBAL_FLAGS.has(argv[i])) i++;
    else if (!/^--(socket|vzroot|bridge)=/.test(argv[i])) return ['--help', '-h', 'help'].includes(argv[i]);
  }
  return false;
}
