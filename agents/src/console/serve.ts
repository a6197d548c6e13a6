// `vzagent console <ctid>`: one VE shell on a pty, framed over stdin/stdout (agents/protocol/console.ts).
import type { Readable, Writable } from 'node:stream';
import { encodeFrame, FrameDecoder, type ConsoleFrame } from '@/agents/protocol/console';
import { callDaemon } from '../cli/daemon-client';
import { isAgentError } from '../daemon/errors';
import { openVePty, type VePty } from './pty';

export interface ConsoleIo {
  input: Readable;
  output: Writable;
  /** Ends the session from outside (SIGTERM/SIGHUP of the bridge process). */
  onSignal?: (stop: () => void) => void;
}

/**
 * Serves one console session and resolves with the process exit code. The shell's whole
 * session inside the VE is killed when the input ends (the panel closed the channel), when the
 * output breaks, on a signal, or on a framing error, so a closed browser tab leaves nothing behind.
 */
export async function runConsole(socket: string, ctid: number, io: ConsoleIo): Promise<number> {
  const send = (f: ConsoleFrame) => {
    if (!io.output.writableEnded && !io.output.destroyed) return io.output.write(encodeFrame(f));
    return true;
  };
  const fail = (code: string, message: string) => {
    send({ type: 'error', code, message });
    io.output.end();
    return code === 'BAD_PARAMS' ? 2 : 1;
  };
  io.output.on('error', () => { /* EPIPE: the reader went away; handled as a stop */ });

  let lxcpath: string;
  try {
    ({ lxcpath } = await callDaemon(socket, 'console.prepare', { ctid }));
  } catch (e) {
    return isAgentError(e) ? fail(e.code, e.message) : fail('INTERNAL', (e as Error).message);
  }

  // Input that arrives while the shell is starting (a resize first, usually) is applied once it runs.
  const decoder = new FrameDecoder();
  let pty: VePty | undefined;
  let size = { cols: 80, rows: 24 };
  const early: Buffer[] = [];
  let stopRequested = false;
  let resolveStop!: () => void;
  const stopped = new Promise<void>((r) => { resolveStop = r; });
  const stop = () => { stopRequested = true; resolveStop(); };

  io.input.on('data', (chunk: Buffer) => {
    let frames: ConsoleFrame[];
    try {
      frames = decoder.push(chunk);
    } catch (e) {
      send({ type: 'error', code: 'BAD_PARAMS', message: (e as Error).message });
      return stop();
    }
    for (const f of frames) {
      if (f.type === 'data') {
        if (pty) pty.write(f.data);
        else early.push(f.data);
      } else if (f.type === 'resize') {
        size = { cols: f.cols, rows: f.rows };
        pty?.resize(f.cols, f.rows);
      }
    }
  });
  io.input.once('end', stop);
  io.input.once('close', stop);
  io.output.once('close', stop);
  io.output.once('error', stop);
  io.onSignal?.(stop);

  try {
    pty = await openVePty(ctid, lxcpath, size);
  } catch (e) {
    return fail('INTERNAL', `cannot open a console in VE ${ctid}: ${(e as Error).message}`);
  }
  const p = pty;
  if (stopRequested) {
    await p.kill();
    return 0;
  }
  send({ type: 'ready', ctid });
  for (const d of early.splice(0)) p.write(d);
  p.resize(size.cols, size.rows);
  p.child.stdout.on('data', (d: Buffer) => {
    if (!send({ type: 'data', data: d })) {
      p.child.stdout.pause();
      io.output.once('drain', () => p.child.stdout.resume());
    }
  });
  p.child.stderr.on('data', (d: Buffer) => process.stderr.write(d));

  const how = await Promise.race([p.exited.then((x) => ({ ended: x })), stopped.then(() => ({ ended: undefined }))]);
  if (!how.ended) {
    await p.kill();
    io.output.end();
    return 0;
  }
  send({ type: 'exit', code: how.ended.code, signal: how.ended.signal });
  await p.kill(); // the shell left; background jobs of its session go with it
  io.output.end();
  return 0;
}
