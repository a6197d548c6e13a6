// Keeps an open console only as long as its right: rechecked on every vz_console notice for its VE,
// user or key (from any panel process), after a listener reconnect, and once a minute anyway.
import type { WebSocket } from 'ws';
import type { PrismaClient } from '@/server/db/client';
import { consoleEvents } from '@/server/operations/tasks/events';
import { consoleRevoked, consoleTopics, type ConsoleRight } from '@/server/services/console/revoke';
import { logger } from '@/server/logger';
import { failConsole } from './console-bridge';

const BACKSTOP_MS = 60_000;
// Without the listener (database connection trouble) the recheck polls this often instead.
const POLL_MS = 2_000;
const TERMINATE_AFTER_MS = 500;

/** Closes `ws` with 4403 and a FORBIDDEN frame as soon as `right` no longer holds. */
export async function guardConsole(prisma: PrismaClient, ws: WebSocket, right: ConsoleRight, userId?: string): Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  const check = (): Promise<void> => {
    if (running) {
      again = true; // a notice during a check: check once more after it
      return running;
    }
    running = (async () => {
      do {
        again = false;
        if (ws.readyState !== ws.OPEN) return;
        const why = await consoleRevoked(prisma, right).catch((err: unknown) => {
          logger.warn({ err, veId: right.veId }, 'console right check failed');
          return null;
        });
        if (why && ws.readyState === ws.OPEN) {
          logger.info({ veId: right.veId, why }, 'console closed: right ended');
          failConsole(ws, 'FORBIDDEN', `console closed: ${why}`);
          // The close frame is out; a client that does not answer it gets no more time on the console.
          setTimeout(() => ws.terminate(), TERMINATE_AFTER_MS).unref();
          return;
        }
      } while (again);
    })().finally(() => { running = undefined; });
    return running;
  };
  let off = () => {};
  let every = BACKSTOP_MS;
  try {
    off = await consoleEvents().watch(consoleTopics(right, userId), () => void check());
  } catch (err) {
    logger.warn({ err }, 'console revocation listener unavailable; polling instead');
    every = POLL_MS;
  }
  const timer = setInterval(() => void check(), every);
  timer.unref();
  ws.once('close', () => { off(); clearInterval(timer); });
  if (ws.readyState !== ws.OPEN) { off(); clearInterval(timer); return; }
  // A right that ended between the authorization and the subscription is caught here.
  await check();
}
