import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from 'pino';
import { LineSplitter, MAX_LINE_BYTES } from '@/agents/protocol';
import type { Dispatcher } from './dispatcher';
import { parseStreamHeader, serveStream, type StreamContext } from './streams';

export interface ListenOptions {
  vzroot: string;
  /** Group allowed to connect (the node's agent SSH account): socket 0660, its folder 0710. */
  group?: string;
}

/** gid of a group name (or a numeric gid) from /etc/group; throws when there is no such group. */
export function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  if (!line) throw new Error(`socket group ${name} does not exist`);
  return Number(line.split(':')[2]);
}

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
 * Listens on a unix socket (mode 0600, parent dir 0700: root-only RPC; with `group`, 0660 and
 * 0710 so that group can connect too) and serves JSON lines, or a byte stream when the first
 * line asks for one (streams.ts). Each connection may have many calls in flight; responses go
 * back in completion order.
 */
export async function listen(socket: string, dispatcher: Dispatcher, logger: Logger, opts: ListenOptions): Promise<net.Server> {
  const gid = opts.group === undefined ? undefined : groupId(opts.group);
  mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
  if (existsSync(socket)) {
    if (await socketAnswers(socket)) throw new Error(`another vzagentd is listening on ${socket}`);
    unlinkSync(socket); // stale socket left by a killed daemon
  }
  const conns = new Set<net.Socket>();
  const streams: StreamContext = { vzroot: opts.vzroot, socket, logger };
  const server = net.createServer({ allowHalfOpen: true }, (conn) => serveConnection(conn, dispatcher, logger, conns, streams));
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
  if (gid !== undefined) {
    chownSync(socket, 0, gid);
    chmodSync(socket, 0o660);
    // only our own private folder (0700, as created above) is opened to the group; a shared one such as /run is left alone
    const dir = path.dirname(socket);
    if ((statSync(dir).mode & 0o777) === 0o700) {
      chownSync(dir, 0, gid);
      chmodSync(dir, 0o710);
    }
  }
  server.on('close', () => {
    for (const c of conns) c.destroy();
  });
  return server;
}

// The first line decides: a stream request (console, migration receiver) or JSON-RPC lines.
function serveConnection(conn: net.Socket, dispatcher: Dispatcher, logger: Logger, conns: Set<net.Socket>, streams: StreamContext): void {
  conns.add(conn);
  conn.on('close', () => conns.delete(conn));
  let head = Buffer.alloc(0);
  const onEarlyEnd = () => conn.end();
  const onFirst = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl < 0 && head.length < MAX_LINE_BYTES) return;
    conn.off('data', onFirst);
    conn.off('end', onEarlyEnd);
    conn.pause();
    const header = nl < 0 ? undefined : parseStreamHeader(head.subarray(0, nl).toString('utf8'));
    const rest = header === undefined ? head : head.subarray(nl + 1);
    if (rest.length > 0) conn.unshift(rest);
    if (header === undefined) return serveRpc(conn, dispatcher, logger);
    serveStream(conn, header, streams).catch((e: unknown) => {
      logger.error({ err: (e as Error).message }, 'stream failed');
      conn.destroy();
    });
  };
  conn.on('data', onFirst);
  conn.on('end', onEarlyEnd);
  conn.on('error', (e) => logger.debug({ err: e.message }, 'connection error'));
}

function serveRpc(conn: net.Socket, dispatcher: Dispatcher, logger: Logger): void {
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
  const decoder = new StringDecoder('utf8');
  conn.on('data', (chunk: Buffer) => {
    let lines: string[];
    try {
      lines = splitter.push(decoder.write(chunk));
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
  conn.resume();
}
