/**
 * Console stream framing (not JSON lines): what `vzagent console <ctid>` speaks on stdin/stdout,
 * over the local child's pipes or an SSH exec channel. Every frame is
 *   [type: u8][length: u32 big-endian][payload: length bytes]
 * so terminal bytes, resizes and the end of the session share one byte stream.
 *
 *   DATA   0x01  both ways    raw terminal bytes (keyboard in, screen out)
 *   RESIZE 0x02  panel->agent cols u16 BE, rows u16 BE
 *   READY  0x03  agent->panel JSON {ctid}: the shell inside the VE is running
 *   EXIT   0x04  agent->panel JSON {code, signal}: the shell ended; the stream closes next
 *   ERROR  0x05  agent->panel JSON {code, message} (agent error code, e.g. VE_NOT_RUNNING); closes next
 */
export const FRAME = { data: 0x01, resize: 0x02, ready: 0x03, exit: 0x04, error: 0x05 } as const;
export type FrameType = keyof typeof FRAME;

export type ConsoleFrame =
  | { type: 'data'; data: Buffer }
  | { type: 'resize'; cols: number; rows: number }
  | { type: 'ready'; ctid: number }
  | { type: 'exit'; code: number | null; signal: string | null }
  | { type: 'error'; code: string; message: string };

/** Larger payloads are a protocol error (a DATA frame is at most one read of a pipe, 64 KiB). */
export const MAX_FRAME_PAYLOAD = 1 << 20;
const HEADER = 5;
export const MIN_COLS = 2;
export const MAX_COLS = 1000;
export const MIN_ROWS = 1;
export const MAX_ROWS = 500;

/** Terminal sizes outside these bounds are clamped: a hostile size cannot make stty fail or allocate much. */
export const clampSize = (cols: number, rows: number) => ({
  cols: Math.min(MAX_COLS, Math.max(MIN_COLS, Math.floor(Number(cols)) || 80)),
  rows: Math.min(MAX_ROWS, Math.max(MIN_ROWS, Math.floor(Number(rows)) || 24)),
});

function frame(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeUInt8(type, 0);
  h.writeUInt32BE(payload.length, 1);
  return Buffer.concat([h, payload]);
}

export function encodeFrame(f: ConsoleFrame): Buffer {
  switch (f.type) {
    case 'data':
      return frame(FRAME.data, f.data);
    case 'resize': {
      const { cols, rows } = clampSize(f.cols, f.rows);
      const p = Buffer.alloc(4);
      p.writeUInt16BE(cols, 0);
      p.writeUInt16BE(rows, 2);
      return frame(FRAME.resize, p);
    }
    case 'ready':
      return frame(FRAME.ready, Buffer.from(JSON.stringify({ ctid: f.ctid })));
    case 'exit':
      return frame(FRAME.exit, Buffer.from(JSON.stringify({ code: f.code, signal: f.signal })));
    case 'error':
      return frame(FRAME.error, Buffer.from(JSON.stringify({ code: f.code, message: f.message })));
  }
}

function parseJson(p: Buffer): Record<string, unknown> {
  try {
    const v = JSON.parse(p.toString('utf8'));
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

function decodeOne(type: number, p: Buffer): ConsoleFrame {
  switch (type) {
    case FRAME.data:
      return { type: 'data', data: p };
    case FRAME.resize:
      if (p.length !== 4) throw new Error('console frame: bad resize payload');
      return { type: 'resize', cols: p.readUInt16BE(0), rows: p.readUInt16BE(2) };
    case FRAME.ready:
      return { type: 'ready', ctid: Number(parseJson(p).ctid) };
    case FRAME.exit: {
      const j = parseJson(p);
      return { type: 'exit', code: typeof j.code === 'number' ? j.code : null, signal: typeof j.signal === 'string' ? j.signal : null };
    }
    case FRAME.error: {
      const j = parseJson(p);
      return { type: 'error', code: String(j.code ?? 'INTERNAL'), message: String(j.message ?? 'console error') };
    }
    default:
      throw new Error(`console frame: unknown type 0x${type.toString(16)}`);
  }
}

/** Incremental decoder: push() any chunking of the byte stream, get whole frames back. Throws on garbage. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ConsoleFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: ConsoleFrame[] = [];
    while (this.buf.length >= HEADER) {
      const type = this.buf.readUInt8(0);
      const len = this.buf.readUInt32BE(1);
      if (len > MAX_FRAME_PAYLOAD) throw new Error(`console frame: payload of ${len} bytes is too large`);
      if (this.buf.length < HEADER + len) break;
      out.push(decodeOne(type, Buffer.from(this.buf.subarray(HEADER, HEADER + len))));
      this.buf = this.buf.subarray(HEADER + len);
    }
    return out;
  }
}

/** The command the panel asks sshd to run for a console channel (the forced command reads it back). */
export const consoleCommand = (ctid: number): string => `vzagent console ${ctid}`;

/**
 * Parses SSH_ORIGINAL_COMMAND strictly: exactly `vzagent console <ctid>` with a plain decimal ctid
 * in the wire range; anything else is null. It reaches lxc-attach, so nothing looser is accepted.
 */
export function parseConsoleCommand(cmd: string | undefined): number | null {
  const m = /^vzagent console ([1-9][0-9]{2,9})$/.exec(cmd ?? '');
  if (!m) return null;
  const ctid = Number(m[1]);
  return ctid >= 100 && ctid <= 2_147_483_647 ? ctid : null;
}
