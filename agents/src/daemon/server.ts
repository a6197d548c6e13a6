import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { LineSplitter, MAX_LINE_BYTES } from '@/agents/protocol';
import type { Dispatcher } from './dispatcher';

/** True when something answers on the unix socket (another daemon is running). */
export function socketAnswers(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket);
    const done = (v: boolean) => {
      c.destroy();
      resolve(v);
    };
    c.setTimeout(timeoutMs, () => done(false));
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
  });
}

/**
 * Listens on a unix socket (mode 0600, parent dir 0700: root-only RPC) and serves JSON lines.
 * Each connection may have many calls in flight; responses go back in completion order.
 */
export async function listen(socket: string, dispatcher: Dispatcher, logger: Logger): Promise<net.Server> {
  mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
  if (existsSync(socket)) {
    if (await socketAnswers(socket)) throw new Error(`another vzagentd is listening on ${socket}`);
    unlinkSync(socket); // stale socket left by a killed daemon
  }
  const conns = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (conn) => serveConnection(conn, dispatcher, logger, conns));
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(socket, 0o600);
  server.on('close', () => {
    for (const c of conns) c.destroy();
  });
  return server;
}

function serveConnection(conn: net.Socket, dispatcher: Dispatcher, logger: Logger, conns: Set<net.Socket>): void {
  conns.add(conn);
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  // a client that half-closes (stdin EOF on `vzagent rpc`) still gets its pending answers
  let pending = 0;
  let ended = false;
  const maybeEnd = () => {
    if (ended && pending === 0) conn.end();
  };
  const send = (msg: unknown) => {
    if (!conn.writable) return; // caller went away; operations still finish and are journaled
    conn.write(`${JSON.stringify(msg)}\n`);
  };
  conn.setEncoding('utf8');
  conn.on('data', (chunk: string) => {
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch (e) {
      send({ id: null, error: { code: 'BAD_PARAMS', message: (e as Error).message } });
      conn.destroy();
      return;
    }
    for (const line of lines) {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        send({ id: null, error: { code: 'BAD_PARAMS', message: 'request is not valid JSON' } });
        continue;
      }
      pending++;
      dispatcher
        .handle(msg, send)
        .then(send, (e) => logger.error({ err: (e as Error).message }, 'dispatch crashed'))
        .finally(() => {
          pending--;
          maybeEnd();
        });
    }
  });
  conn.on('end', () => {
    ended = true;
    maybeEnd();
  });
  conn.on('error', (e) => logger.debug({ err: e.message }, 'connection error'));
  conn.on('close', () => conns.delete(conn));
}
