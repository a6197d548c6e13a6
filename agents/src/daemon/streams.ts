// Byte-stream channels (web console, migration receiver) served by the daemon itself, for a bridge
// that runs as the unprivileged agent account and so cannot open a VE shell or write a VE root.
import type net from 'node:net';
import { PassThrough } from 'node:stream';
import type { Logger } from 'pino';
import { runConsole } from '../console/serve';
import { recvArgs, spawnRsyncRecv } from '../migrate/rsync-recv';
import { EXPORT_TOKEN_RE, serveExport } from '../backup/export';

export type StreamHeader = { stream: 'console'; ctid: number } | { stream: 'rsync-recv'; ctid: number; command: string }
  | { stream: 'backup-export'; token: string };

export interface StreamContext { vzroot: string; socket: string; logger: Logger }

/**
 * Reads a connection's first line: a stream request is `{"stream": ..., "ctid": N}` (RPC lines
 * carry `method` instead). Returns undefined for RPC, or an error text for a malformed request.
 */
export function parseStreamHeader(line: string): StreamHeader | string | undefined {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object' || !('stream' in m)) return undefined;
  if (m.stream === 'backup-export') return typeof m.token === 'string' && EXPORT_TOKEN_RE.test(m.token) ? { stream: 'backup-export', token: m.token } : 'backup-export needs a token';
  if (!Number.isInteger(m.ctid) || (m.ctid as number) < 1) return 'stream request needs an integer ctid';
  if (m.stream === 'console') return { stream: 'console', ctid: m.ctid as number };
  if (m.stream === 'rsync-recv' && typeof m.command === 'string') return { stream: 'rsync-recv', ctid: m.ctid as number, command: m.command };
  return `unknown stream request ${JSON.stringify(m.stream)}`;
}

const ack = (conn: net.Socket, msg: { ok: true } | { error: string }) => conn.write(`${JSON.stringify(msg)}\n`);

/**
 * Serves one stream on `conn` (paused, positioned after the header line): one ack line, then
 * the raw stream. The caller is in the socket's group, the same trust as any RPC caller; the
 * migration receiver still checks the VE is prepared and the rsync command is ours.
 */
export async function serveStream(conn: net.Socket, header: StreamHeader | string, ctx: StreamContext): Promise<void> {
  conn.on('error', () => { /* the bridge went away; the session ends below */ });
  if (typeof header === 'string') {
    ack(conn, { error: header });
    conn.end();
    return;
  }
  if (header.stream === 'backup-export') return serveExport(conn, header.token, ctx.logger);
  if (header.stream === 'console') {
    ack(conn, { ok: true });
    // a PassThrough starts flowing when the console attaches its reader; conn itself stays paused until then
    const input = new PassThrough();
    conn.pipe(input);
    conn.once('close', () => input.destroy());
    await runConsole(ctx.socket, header.ctid, { input, output: conn });
    return;
  }
  const v = await recvArgs(ctx.vzroot, header.ctid, header.command);
  if (!v.ok) {
    ack(conn, { error: `refused: ${v.reason}` });
    conn.end();
    return;
  }
  ack(conn, { ok: true });
  const code = await spawnRsyncRecv(ctx.vzroot, header.ctid, v.args, 'pipe', (child) => {
    child.stdin!.on('error', () => { /* receiver exited first */ });
    conn.pipe(child.stdin!);
    child.stdout!.pipe(conn);
    child.stderr!.setEncoding('utf8').on('data', (s: string) => ctx.logger.warn({ ctid: header.ctid, stderr: s.trim().slice(-500) }, 'rsync receiver'));
  });
  if (code !== 0) ctx.logger.warn({ ctid: header.ctid, code }, 'rsync receiver exited non-zero');
  conn.end();
}
