// A streaming reader of tar headers (ustar, GNU long names, pax): the panel inspects an uploaded
// template archive member by member without ever writing it out, so nothing hostile touches a disk.
import { AppError } from '@/server/errors';

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarEntry {
  /** As stored in the archive (before any normalisation). */
  name: string;
  type: TarType;
  mode: number;
  size: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

const TYPES: Record<string, TarType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };
const META = new Set(['x', 'g', 'L', 'K']);
// pax/GNU meta records are small; a huge one is an attack on the panel's memory.
const MAX_META = 1 << 20;

/** The one error an unacceptable upload gets: UNPROCESSABLE with the reason. */
export const refuse = (why: string) => new AppError('UNPROCESSABLE', `archive refused: ${why}`);

function str(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return (nul < 0 ? s : s.subarray(0, nul)).toString('utf8');
}

function num(b: Buffer, off: number, len: number): number {
  if (b[off] & 0x80) {
    // GNU base-256 for values over 8 GiB (positive only).
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i];
    return v + (b[off] & 0x3f) * 256 ** (len - 1);
  }
  const t = str(b, off, len).trim();
  if (t === '') return 0;
  if (!/^[0-7]+$/.test(t)) throw refuse(`bad numeric field ${JSON.stringify(t)} in a tar header`);
  return parseInt(t, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  const stored = str(h, 148, 8).trim();
  return /^[0-7]+$/.test(stored) && sum === parseInt(stored, 8);
}

function parsePax(body: Buffer, into: Record<string, string>): void {
  let at = 0;
  while (at < body.length) {
    const sp = body.indexOf(0x20, at);
    const len = sp > at ? Number(body.subarray(at, sp).toString('latin1')) : NaN;
    if (!Number.isInteger(len) || len <= sp - at || at + len > body.length) throw refuse('malformed pax header');
    const kv = body.subarray(sp + 1, at + len - 1).toString('utf8');
    const eq = kv.indexOf('=');
    if (eq < 0) throw refuse('malformed pax record');
    into[kv.slice(0, eq)] = kv.slice(eq + 1);
    at += len;
  }
}

/**
 * Feeds decompressed tar bytes in; calls `onEntry` for each member and `onData` with the body of
 * members `onEntry` asked for (returned true). Throws UNPROCESSABLE on anything that is not a tar.
 */
export class TarHeaderReader {
  private buf: Buffer = Buffer.alloc(0);
  private skip = 0; // body bytes (incl. padding) still to pass
  private want: { entry: TarEntry; left: number; chunks: Buffer[] } | null = null;
  private meta: { kind: string; left: number; chunks: Buffer[] } | null = null;
  private pax: Record<string, string> = {};
  private longName: string | null = null;
  private longLink: string | null = null;
  private zeros = 0;
  private headers = 0;
  ended = false;

  constructor(
    private readonly onEntry: (e: TarEntry) => boolean,
    private readonly onData: (e: TarEntry, body: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.ended) return void (this.buf = Buffer.alloc(0));
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.take(n);
        if (this.skip > 0) return;
        continue;
      }
      if (this.buf.length < 512) return;
      const h = this.buf.subarray(0, 512);
      this.buf = this.buf.subarray(512);
      this.header(h);
    }
  }

  /** The archive must have ended properly (two zero blocks, or at least one after members, as GNU tar accepts). */
  finish(): void {
    if (this.skip > 0 || this.meta || this.want) throw refuse('the archive is truncated');
    if (!this.ended && this.zeros === 0) throw refuse(this.headers ? 'the archive is truncated (no end-of-archive marker)' : 'not a tar archive (empty)');
  }

  private take(n: number): void {
    const part = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.skip -= n;
    if (this.meta) {
      const keep = Math.min(part.length, this.meta.left);
      if (keep > 0) this.meta.chunks.push(part.subarray(0, keep));
      this.meta.left -= keep;
      if (this.skip === 0) this.endMeta();
    } else if (this.want) {
      const keep = Math.min(part.length, this.want.left);
      if (keep > 0) this.want.chunks.push(part.subarray(0, keep));
      this.want.left -= keep;
      if (this.skip === 0) {
        this.onData(this.want.entry, Buffer.concat(this.want.chunks));
        this.want = null;
      }
    }
  }

  private endMeta(): void {
    const m = this.meta!;
    this.meta = null;
    const body = Buffer.concat(m.chunks);
    if (m.kind === 'x') parsePax(body, this.pax);
    else if (m.kind === 'L') this.longName = body.toString('utf8').replace(/\0+$/, '');
    else if (m.kind === 'K') this.longLink = body.toString('utf8').replace(/\0+$/, '');
  }

  private header(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      if (++this.zeros >= 2) this.ended = true;
      return;
    }
    if (this.zeros) throw refuse('data after an end-of-archive block');
    if (!checksumOk(h)) throw refuse(this.headers ? 'corrupt tar header (bad checksum)' : 'not a tar archive');
    this.headers++;
    const flag = String.fromCharCode(h[156]);
    const size = num(h, 124, 12);
    const padded = Math.ceil(size / 512) * 512;
    if (META.has(flag)) {
      if (size > MAX_META) throw refuse('oversized pax/long-name header');
      this.skip = padded;
      this.meta = { kind: flag, left: size, chunks: [] };
      if (this.skip === 0) this.endMeta();
      return;
    }
    const type = TYPES[flag];
    if (!type) throw refuse(`member type ${JSON.stringify(flag)} is not allowed (only files, directories, links, and a few devices)`);
    const ustar = h.subarray(257, 262).toString('latin1') === 'ustar';
    const prefix = ustar ? str(h, 345, 155) : '';
    const rawName = prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100);
    const entry: TarEntry = {
      name: this.pax.path ?? this.longName ?? rawName,
      type,
      mode: num(h, 100, 8),
      size: this.pax.size !== undefined ? Number(this.pax.size) : size,
      linkname: this.pax.linkpath ?? this.longLink ?? str(h, 157, 100),
      devmajor: ustar ? num(h, 329, 8) : 0,
      devminor: ustar ? num(h, 337, 8) : 0,
    };
    this.pax = {};
    this.longName = this.longLink = null;
    // Links and devices carry no body whatever their size field says (GNU tar does the same).
    const body = type === 'file' ? entry.size : 0;
    this.skip = Math.ceil(body / 512) * 512;
    const keep = this.onEntry(entry);
    if (keep && body > 0) this.want = { entry, left: body, chunks: [] };
    else if (keep) this.onData(entry, Buffer.alloc(0));
  }
}
