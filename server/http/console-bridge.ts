// Browser WebSocket <-> node console stream. Browser protocol (one socket per terminal):
//   binary message         terminal bytes, both ways
//   text {"type":"resize","cols":C,"rows":R}   client -> server
//   text {"type":"input","data":"..."}         client -> server (same as a binary message)
//   text {"type":"ready"} | {"type":"exit","code":N,"signal":S} | {"type":"error","code":C,"message":M}   server -> client
import type { WebSocket, RawData } from 'ws';
import type { ConsoleFrame } from '@/agents/protocol/console';
import { clampSize } from '@/agents/protocol/console';
import type { NodeConsole } from '@/server/nodes/console';
import { logger } from '@/server/logger';

/** Close codes the browser sees (4000-4999 are the application's). */
export const CONSOLE_CLOSE = { exited: 1000, nodeLost: 1011, revoked: 4403, notFound: 4404, notRunning: 4409, nodeOffline: 4503, failed: 4500 } as const;

const HIGH_WATER = 1 << 20;
const LOW_WATER = 1 << 18;
const HEARTBEAT_MS = 30_000;

function closeCodeOf(code: string): number {
  if (code === 'VE_NOT_RUNNING') return CONSOLE_CLOSE.notRunning;
  if (code === 'NOT_FOUND') return CONSOLE_CLOSE.notFound;
  if (code === 'NODE_OFFLINE') return CONSOLE_CLOSE.nodeOffline;
  if (code === 'FORBIDDEN') return CONSOLE_CLOSE.revoked;
  return CONSOLE_CLOSE.failed;
}

const sendJson = (ws: WebSocket, v: unknown) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(v)); };

/** Reports a console that never opened (node offline, VE stopped) and closes the socket with a matching code. */
export function failConsole(ws: WebSocket, code: string, message: string): void {
  sendJson(ws, { type: 'error', code, message });
  ws.close(closeCodeOf(code), code.slice(0, 100));
}

/**
 * Pipes one browser socket to one node console until either side ends; closing the socket
 * closes the node stream, which makes the agent kill the shell's session inside the VE.
 */
export function bridgeConsole(ws: WebSocket, nc: NodeConsole, meta: { veId: string; ctid: number }): void {
  const t0 = Date.now();
  let ended = false;
  let alive = true;
  const heartbeat = setInterval(() => {
    if (!alive) return ws.terminate(); // no pong for a whole interval: the browser is gone
    alive = false;
    ws.ping();
  }, HEARTBEAT_MS);
  heartbeat.unref();
  ws.on('pong', () => { alive = true; });

  let drainTimer: NodeJS.Timeout | undefined;
  const onFrame = (f: ConsoleFrame) => {
    if (f.type === 'data') {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(f.data, { binary: true });
      // slow browser: stop reading the node until the socket has drained
      if (ws.bufferedAmount > HIGH_WATER && !drainTimer) {
        nc.pause();
        drainTimer = setInterval(() => {
          if (ws.bufferedAmount > LOW_WATER && ws.readyState === ws.OPEN) return;
          clearInterval(drainTimer);
          drainTimer = undefined;
          nc.resume();
        }, 50);
      }
    } else if (f.type === 'ready') {
      sendJson(ws, { type: 'ready' });
    } else if (f.type === 'exit') {
      ended = true;
      sendJson(ws, { type: 'exit', code: f.code, signal: f.signal });
      ws.close(CONSOLE_CLOSE.exited, 'shell exited');
    } else if (f.type === 'error') {
      ended = true;
      failConsole(ws, f.code, f.message);
    }
  };
  nc.on('frame', onFrame);
  nc.on('close', (reason) => {
    if (drainTimer) clearInterval(drainTimer);
    if (ended || ws.readyState !== ws.OPEN) return;
    sendJson(ws, { type: 'error', code: 'NODE_OFFLINE', message: reason ? `console stream ended: ${reason}` : 'console stream ended' });
    ws.close(CONSOLE_CLOSE.nodeLost, 'node stream ended');
  });

  ws.on('message', (raw: RawData, isBinary: boolean) => {
    const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
    if (isBinary) return void nc.write(buf);
    let msg: { type?: string; cols?: number; rows?: number; data?: unknown };
    try {
      msg = JSON.parse(buf.toString('utf8'));
    } catch {
      return; // not a control message
    }
    if (msg.type === 'resize') {
      const s = clampSize(Number(msg.cols), Number(msg.rows));
      nc.resize(s.cols, s.rows);
    } else if (msg.type === 'input' && typeof msg.data === 'string') {
      nc.write(Buffer.from(msg.data, 'utf8'));
    }
  });
  ws.on('close', () => {
    clearInterval(heartbeat);
    if (drainTimer) clearInterval(drainTimer);
    nc.close();
    logger.info({ veId: meta.veId, ctid: meta.ctid, seconds: Math.round((Date.now() - t0) / 1000) }, 'console closed');
  });
  ws.on('error', () => ws.terminate());
}
