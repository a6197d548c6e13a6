'use client';
// The web console: xterm.js (loaded on the client only) over /ws/console/<veId>. Binary messages
// carry terminal bytes both ways; JSON text messages carry resize (out) and ready/exit/error (in).
// Test hooks: data-testid="console", data-console-state, window.__vzConsoleText().
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import type { Terminal } from '@xterm/xterm';
import { Button } from './Button';

type State = 'connecting' | 'open' | 'closed' | 'error';

declare global {
  interface Window {
    /** Whole terminal buffer (scrollback + screen) as text, one line per row; for tests. */
    __vzConsoleText?: () => string;
  }
}

// What the browser can tell from a close: refused upgrades all look like 1006 before "open".
function closeMessage(code: number, wasOpen: boolean, reason: string): string {
  if (code === 1000) return 'The session ended.';
  if (code === 4404) return 'This server was not found on its node.';
  if (code === 4409) return 'The server is not running. Start it, then reconnect.';
  if (code === 4503) return 'The node cannot be reached right now.';
  if (!wasOpen) return 'Could not open the console (signed out, no access, or the link was already used).';
  return reason ? `Connection lost: ${reason}` : 'Connection lost.';
}

function bufferText(term: Terminal): string {
  const b = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
  return lines.join('\n');
}

export function Console({ veId, ticket, className }: { veId: string; ticket?: string; className?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>('connecting');
  const [message, setMessage] = useState('');
  const [attempt, setAttempt] = useState(0);
  // A ticket opens exactly one session: a reconnect needs a new console link.
  const canReconnect = !ticket;

  useEffect(() => {
    let disposed = false;
    let ws: WebSocket | undefined;
    let term: Terminal | undefined;
    let ro: ResizeObserver | undefined;
    setState('connecting');
    setMessage('');
    // Deferred a tick: React's dev double-mount then never opens (and never burns a ticket on) a throwaway socket.
    const timer = setTimeout(async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
      if (disposed || !el.current) return;
      const t = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000, fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', theme: { background: '#0f172a' } });
      term = t;
      const fit = new FitAddon();
      t.loadAddon(fit);
      t.open(el.current);
      fit.fit();
      window.__vzConsoleText = () => bufferText(t);
      const q = new URLSearchParams({ cols: String(t.cols), rows: String(t.rows) });
      if (ticket) q.set('ticket', ticket);
      const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
      const sock = new WebSocket(`${proto}//${window.location.host}/ws/console/${encodeURIComponent(veId)}?${q}`);
      ws = sock;
      sock.binaryType = 'arraybuffer';
      let wasOpen = false;
      let ended = '';
      const enc = new TextEncoder();
      const send = (data: Uint8Array | string) => { if (sock.readyState === WebSocket.OPEN) sock.send(data); };
      sock.onopen = () => { wasOpen = true; };
      sock.onmessage = (ev) => {
        if (typeof ev.data !== 'string') return t.write(new Uint8Array(ev.data as ArrayBuffer));
        const msg = JSON.parse(ev.data) as { type: string; message?: string; code?: number | string };
        if (msg.type === 'ready') { setState('open'); t.focus(); }
        else if (msg.type === 'error') ended = msg.message ?? String(msg.code);
      };
      sock.onclose = (ev) => {
        if (disposed) return;
        setState(ev.code === 1000 ? 'closed' : 'error');
        setMessage(ended && ev.code !== 1000 ? ended : closeMessage(ev.code, wasOpen, ev.reason));
        t.options.cursorBlink = false;
      };
      t.onData((d) => send(enc.encode(d)));
      t.onBinary((d) => send(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff)));
      t.onResize(({ cols, rows }) => send(JSON.stringify({ type: 'resize', cols, rows })));
      ro = new ResizeObserver(() => { try { fit.fit(); } catch { /* hidden */ } });
      ro.observe(el.current);
    }, 0);
    return () => {
      disposed = true;
      clearTimeout(timer);
      ro?.disconnect();
      ws?.close(1000);
      term?.dispose();
      delete window.__vzConsoleText;
    };
  }, [veId, ticket, attempt]);

  return (
    <div className={className}>
      <div className="mb-2 flex items-center justify-between gap-3 text-sm">
        <span className="text-slate-600" data-testid="console-status">
          {state === 'connecting' ? 'Connecting…' : state === 'open' ? 'Connected' : message}
        </span>
        {(state === 'closed' || state === 'error') && canReconnect && (
          <Button variant="secondary" size="sm" onClick={() => setAttempt((n) => n + 1)} data-testid="console-reconnect">Reconnect</Button>
        )}
      </div>
      <div
        ref={el}
        data-testid="console"
        data-console-state={state}
        className="h-[32rem] w-full overflow-hidden rounded-md bg-slate-900 p-2"
      />
    </div>
  );
}
