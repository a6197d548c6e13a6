import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PrismaClient } from '@/server/db/client';
import { validateSession, type SessionUser } from '@/server/services/auth/sessions';
import { sessionTokenFrom } from '@/server/api/cookies';
import { logger } from '@/server/logger';

/** A handler for one WebSocket path; runs only after the session was checked. */
export type WsRoute = (ws: WebSocket, req: IncomingMessage, user: SessionUser) => void;

// Default /ws channel: greets with who you are and answers pings (later issues add topics).
export const defaultWsRoute: WsRoute = (ws, _req, user) => {
  ws.send(JSON.stringify({ type: 'hello', user: { id: user.id, email: user.email, role: user.role } }));
  ws.on('message', (raw) => {
    let msg: { type?: string } = {};
    try {
      msg = JSON.parse(String(raw));
    } catch {
      /* ignore non-JSON */
    }
    if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong', at: Date.now() }));
  });
};

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

// Browsers always send Origin on WebSocket handshakes; a foreign one is cross-site hijacking.
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * WebSocket upgrades for /ws and /ws/*: the session cookie is validated BEFORE the handshake
 * completes (middleware never sees upgrades), so an anonymous client gets a plain 401.
 */
export function createWsUpgrade(prisma: PrismaClient, routes: Map<string, WsRoute>) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const handle = async (req: IncomingMessage, socket: Duplex, head: Buffer, pathname: string) => {
    const route = routes.get(pathname);
    if (!route) return reject(socket, 404, 'Not Found');
    if (!sameOrigin(req)) return reject(socket, 403, 'Forbidden');
    let user: SessionUser | undefined;
    try {
      user = (await validateSession(prisma, sessionTokenFrom(req)))?.user;
    } catch (err) {
      logger.error({ err }, 'ws auth failed');
      return reject(socket, 500, 'Internal Server Error');
    }
    if (!user) return reject(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.emit('connection', ws, req);
      route(ws, req, user);
    });
  };
  return { wss, handle };
}
