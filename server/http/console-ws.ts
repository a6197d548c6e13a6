// /ws/console/<veId>: the web console's WebSocket. Authorized and audited before the upgrade.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { PrismaClient } from '@/server/db/client';
import { isAppError } from '@/server/errors';
import { clientIp, sessionTokenFrom } from '@/server/api/cookies';
import { validateSession, type SessionUser } from '@/server/services/auth/sessions';
import { authorizeConsole, type ConsoleAccess } from '@/server/services/console/access';
import { writeAudit } from '@/server/services/audit';
import { openNodeConsole } from '@/server/nodes/console';
import { nodeSpec } from '@/server/nodes/spec';
import { clampSize } from '@/agents/protocol/console';
import { logger } from '@/server/logger';
import { sameOrigin } from './ws';
import { bridgeConsole, failConsole } from './console-bridge';
import { guardConsole } from './console-guard';

export const CONSOLE_WS_PREFIX = '/ws/console/';

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

async function audit(prisma: PrismaClient, req: IncomingMessage, veId: string, outcome: 'success' | 'denied', who: Partial<ConsoleAccess['actor']> | null, details: Record<string, unknown>) {
  await writeAudit(prisma, {
    actorType: who?.actorType ?? 'user',
    actorId: who?.actorId ?? null,
    actorLabel: who?.actorLabel ?? 'anonymous',
    action: 'console.open',
    targetType: 've',
    targetId: veId.slice(0, 64),
    ip: clientIp(req),
    outcome,
    details,
  }).catch((err) => logger.error({ err }, 'audit write failed'));
}

/**
 * Upgrade handler for /ws/console/<veId>[?ticket=T][&cols=C&rows=R]. Order: path, same origin,
 * credentials (a ticket if given, else the session cookie), owner scope; only then the WebSocket
 * handshake (on `wss`: the panel's one WebSocketServer, so shutdown closes consoles too). Refusals
 * are plain HTTP answers: 401 without valid credentials, 404 for a VE that is missing or not the
 * caller's (the same answer for both), 403 for a foreign Origin or a suspended VE. An open console
 * closes (4403) when its right ends: see console-guard.ts.
 */
export function createConsoleUpgrade(prisma: PrismaClient, wss: WebSocketServer = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 })) {

  const handle = async (req: IncomingMessage, socket: Duplex, head: Buffer, pathname: string) => {
    const veId = pathname.slice(CONSOLE_WS_PREFIX.length);
    if (!pathname.startsWith(CONSOLE_WS_PREFIX) || !veId || veId.includes('/')) return reject(socket, 404, 'Not Found');
    if (!sameOrigin(req)) return reject(socket, 403, 'Forbidden');
    const q = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const ticket = q.get('ticket');
    let user: SessionUser | undefined;
    let access: ConsoleAccess;
    try {
      const session = ticket === null ? await validateSession(prisma, sessionTokenFrom(req)) : null;
      user = session?.user;
      access = await authorizeConsole(prisma, veId, { user, sessionId: session?.session.id, ticket });
    } catch (e) {
      if (!isAppError(e)) throw e;
      const who = user ? { actorId: user.id, actorLabel: user.email } : ticket !== null ? { actorLabel: 'console ticket' } : null;
      // anonymous knocking without any credential is not worth a row; everything else is
      if (who) await audit(prisma, req, veId, 'denied', who, { error: e.message, via: ticket !== null ? 'ticket' : 'session' });
      if (e.code === 'FORBIDDEN') return reject(socket, 403, 'Forbidden');
      return e.code === 'UNAUTHENTICATED' ? reject(socket, 401, 'Unauthorized') : reject(socket, 404, 'Not Found');
    }
    await audit(prisma, req, access.ve.id, 'success', access.actor, { ctid: access.ve.ctid, node: access.node.name, via: access.actor.via });
    const size = clampSize(Number(q.get('cols') ?? 80), Number(q.get('rows') ?? 24));
    wss.handleUpgrade(req, socket, head, (ws) => {
      wss.emit('connection', ws, req);
      // Keystrokes sent before the node side is bridged wait in the socket instead of being dropped.
      ws.pause();
      void (async () => {
        try {
          await guardConsole(prisma, ws, access.right, user?.id);
          if (ws.readyState !== ws.OPEN) return;
          const nc = await openNodeConsole(access.node.id, nodeSpec(access.node), access.ve.ctid);
          if (ws.readyState !== ws.OPEN) return nc.close(); // the tab closed while the node side opened
          nc.resize(size.cols, size.rows);
          bridgeConsole(ws, nc, { veId: access.ve.id, ctid: access.ve.ctid });
        } catch (e) {
          const code = isAppError(e) ? e.code : 'INTERNAL';
          if (!isAppError(e)) logger.error({ err: e, veId: access.ve.id }, 'console open failed');
          failConsole(ws, code, isAppError(e) ? e.message : 'cannot open the console');
        } finally {
          ws.resume();
        }
      })();
    });
  };
  return { wss, handle };
}
