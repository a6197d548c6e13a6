// Receives an uploaded rootfs archive in one streamed pass: hash the bytes as sent, decompress,
// judge every tar header (policy.ts), and re-compress to the .tar.gz nodes cache. A refusal at any
// point removes the partial file, so a bad upload leaves nothing behind.
import { spawn } from 'node:child_process';
import { randomUUID, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Duplex, PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { AppError, isAppError } from '@/server/errors';
import { RootfsPolicy, type ArchiveLimits } from './policy';
import { refuse, TarHeaderReader } from './tar-stream';

export interface UploadLimits extends ArchiveLimits {
  /** Bytes as sent (compressed). */
  maxUploadBytes: number;
}

const GiB = 1024 ** 3;
const envInt = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);

/** Limits from VZPANEL_TEMPLATE_MAX_UPLOAD / _MAX_UNPACKED (bytes) and _MAX_ENTRIES. */
export function uploadLimits(env = process.env): UploadLimits {
  return {
    maxUploadBytes: envInt(env.VZPANEL_TEMPLATE_MAX_UPLOAD, 4 * GiB),
    maxUnpackedBytes: envInt(env.VZPANEL_TEMPLATE_MAX_UNPACKED, 16 * GiB),
    maxEntries: envInt(env.VZPANEL_TEMPLATE_MAX_ENTRIES, 500_000),
  };
}

export interface ReceivedArchive {
  /** The stored .tar.gz (normalised gzip whatever came in). */
  file: string;
  sizeBytes: number;
  sha256: string;
  /** sha256 and size of the bytes exactly as uploaded (for the uploader to compare). */
  uploadSha256: string;
  uploadBytes: number;
  compression: 'gzip' | 'xz' | 'zstd' | 'none';
  entries: number;
  unpackedBytes: number;
  init: string;
  os: string;
  version: string;
  prettyName: string | null;
}

function meter(limit: number, tooBig: () => Error) {
  const hash = createHash('sha256');
  let bytes = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > limit) return cb(tooBig());
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  return { t, done: () => ({ bytes, sha256: hash.digest('hex') }) };
}

// xz has no zlib binding in Node 20; a child filter that fails loudly when the input is not xz/zstd.
function childFilter(cmd: string, args: string[]): Duplex {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err = (err + s).slice(-2000); });
  child.stdout.pipe(out, { end: false });
  child.stdin.on('error', () => {});
  child.on('error', (e) => out.destroy(refuse(`cannot run ${cmd} to decompress (${e.message})`)));
  child.on('close', (code) => (code === 0 ? out.end() : out.destroy(refuse(`${cmd}: ${err.trim() || `exit ${code}`}`))));
  const d = Duplex.from({ writable: child.stdin, readable: out });
  d.on('close', () => child.kill('SIGKILL'));
  return d;
}

type Compression = ReceivedArchive['compression'];

function detect(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') throw refuse('bzip2 is not accepted (use gzip, xz, zstd or plain tar)');
  return 'none';
}

function decompressor(c: Compression): Duplex {
  if (c === 'gzip') return createGunzip();
  if (c === 'xz') return childFilter('xz', ['-dc']);
  if (c === 'zstd') return childFilter('zstd', ['-dc', '-q']);
  return new PassThrough();
}

// Reads the first bytes (to name the compression) and puts them back.
async function peek(src: Readable, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let len = 0;
  while (len < n && !src.readableEnded && !src.destroyed) {
    const c = src.read() as Buffer | null;
    if (c) {
      parts.push(c);
      len += c.length;
      continue;
    }
    await new Promise<void>((resolve) => {
      const go = () => { src.off('readable', go); src.off('end', go); src.off('error', go); resolve(); };
      src.on('readable', go).on('end', go).on('error', go);
    });
  }
  const all = Buffer.concat(parts);
  if (all.length) src.unshift(all);
  return all;
}

/**
 * Streams `src` into `<dir>/.upload-*.part`, judging it on the way; resolves with what was stored
 * (a file the caller renames or removes) or rejects with UNPROCESSABLE/TOO_LARGE, file removed.
 */
export async function receiveArchive(src: Readable, dir: string, limits: UploadLimits): Promise<ReceivedArchive> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `.upload-${randomUUID()}.tar.gz.part`);
  try {
    const head = await peek(src, 6);
    if (!head.length) throw refuse('the upload is empty');
    const compression = detect(head);
    const raw = meter(limits.maxUploadBytes, () => new AppError('TOO_LARGE', `the upload is larger than ${limits.maxUploadBytes} bytes`));
    const stored = meter(Number.MAX_SAFE_INTEGER, () => new Error('unreachable'));
    const policy = new RootfsPolicy(limits);
    const reader = new TarHeaderReader((e) => policy.entry(e), (e, b) => policy.data(e, b));
    // The stream length is counted too: padding and trailing zeros are not member sizes but still unpack.
    let unpacked = 0;
    const inspect = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        unpacked += chunk.length;
        if (unpacked > limits.maxUnpackedBytes + 1024 * 1024) return cb(refuse(`unpacks to more than ${limits.maxUnpackedBytes} bytes`));
        try {
          reader.push(chunk);
        } catch (e) {
          return cb(e as Error);
        }
        cb(null, chunk);
      },
    });
    await pipeline(src, raw.t, decompressor(compression), inspect, createGzip({ level: 6 }), stored.t, createWriteStream(file, { mode: 0o600 }));
    reader.finish();
    const r = policy.result();
    const up = raw.done();
    const st = stored.done();
    return {
      file, sizeBytes: st.bytes, sha256: st.sha256, uploadSha256: up.sha256, uploadBytes: up.bytes, compression,
      entries: policy.entries, unpackedBytes: policy.unpackedBytes, ...r,
    };
  } catch (e) {
    await rm(file, { force: true });
    if (isAppError(e)) throw e;
    // zlib and stream errors on garbage input: say what was wrong with the archive, not a 500.
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_') || code === 'ERR_STREAM_PREMATURE_CLOSE') throw refuse(`the archive is corrupt (${(e as Error).message})`);
    throw e;
  }
}
