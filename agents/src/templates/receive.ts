// A template tarball pushed by the panel in chunks: written to a temp file beside the cache, checked
// (size, sha256) at commit and renamed into place; nothing is in the cache before that.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, statfs, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { VeError } from '../sys/errors';
import { parseOrBadParams } from '../sys/params';
import { cacheDir, findTemplate } from './cache';
import { templateManifest, type TemplateManifest } from './manifest';

interface Transfer {
  id: string;
  vzroot: string;
  manifest: TemplateManifest;
  file: string;
  fh: FileHandle;
  hash: Hash;
  received: number;
  busy: boolean;
  idle: NodeJS.Timeout;
}

const PART = /^\.recv-[0-9a-f]{32}\.part$/;
/** A transfer nobody touches for this long is dropped with its file (a panel that died mid-push). */
const IDLE_MS = Number(process.env.VZ_TEMPLATE_RECV_IDLE_MS) || 10 * 60_000;
/** Space kept free on the cache's filesystem after a transfer (MiB). */
const reserveBytes = () => (Number(process.env.VZ_TEMPLATE_RESERVE_MB) || 64) * 2 ** 20;

const transfers = new Map<string, Transfer>();

function touch(t: Transfer) {
  clearTimeout(t.idle);
  t.idle = setTimeout(() => void drop(t.id), IDLE_MS);
  t.idle.unref();
}

async function drop(id: string): Promise<boolean> {
  const t = transfers.get(id);
  if (!t) return false;
  transfers.delete(id);
  clearTimeout(t.idle);
  await t.fh.close().catch(() => undefined);
  await rm(t.file, { force: true });
  return true;
}

function get(id: string): Transfer {
  const t = transfers.get(id);
  if (!t) throw new VeError('NOT_FOUND', `no template transfer ${id} (it ended, was aborted or sat idle too long); begin again`);
  if (t.busy) throw new VeError('VE_LOCKED', `template transfer ${id} is busy with another call`);
  return t;
}

// Temp files no live transfer owns are leftovers of a daemon that stopped mid-transfer.
async function sweepLeftovers(dir: string) {
  const live = new Set([...transfers.values()].map((t) => path.basename(t.file)));
  for (const f of await readdir(dir).catch(() => [] as string[])) if (PART.test(f) && !live.has(f)) await rm(path.join(dir, f), { force: true });
}

/**
 * Starts a transfer of `manifestIn` into the cache of `vzroot`. When the cache already holds that
 * name with that sha256 it answers have=true and starts nothing (a repeat push is a no-op).
 */
export async function beginReceive(vzroot: string, manifestIn: unknown): Promise<{ have: boolean; transfer?: string }> {
  const manifest = parseOrBadParams(templateManifest, manifestIn, { what: 'invalid template manifest', at: 'manifest' });
  const held = await findTemplate(vzroot, manifest.name).catch(() => null);
  if (held && held.manifest.sha256 === manifest.sha256 && held.manifest.sizeBytes === manifest.sizeBytes) return { have: true };
  for (const t of transfers.values()) {
    if (t.vzroot === vzroot && t.manifest.name === manifest.name) throw new VeError('VE_LOCKED', `template ${manifest.name} is already being received`);
  }
  const dir = cacheDir(vzroot);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await sweepLeftovers(dir);
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free < manifest.sizeBytes + reserveBytes()) {
    throw new VeError('NO_DISK_SPACE', `not enough space for template ${manifest.name}: it needs ${manifest.sizeBytes} bytes and ${Math.floor(free)} are free (keeping ${reserveBytes()} in reserve)`);
  }
  const id = randomBytes(16).toString('hex');
  const file = path.join(dir, `.recv-${id}.part`);
  const fh = await open(file, 'wx', 0o600);
  const t: Transfer = { id, vzroot, manifest, file, fh, hash: createHash('sha256'), received: 0, busy: false, idle: setTimeout(() => undefined, 0) };
  transfers.set(id, t);
  touch(t);
  return { have: false, transfer: id };
}

/** Appends `data` at `offset` (which must be the bytes received so far); refuses more than the manifest's size. */
export async function receiveChunk(id: string, offset: number, data: Buffer): Promise<number> {
  const t = get(id);
  if (offset !== t.received) throw new VeError('BAD_PARAMS', `template transfer ${id}: chunk at ${offset}, expected ${t.received}`, { expected: t.received });
  if (t.received + data.length > t.manifest.sizeBytes) {
    await drop(id);
    throw new VeError('BAD_PARAMS', `template ${t.manifest.name}: more bytes than the manifest's ${t.manifest.sizeBytes}; transfer dropped`);
  }
  t.busy = true;
  try {
    await t.fh.write(data, 0, data.length, offset);
  } catch (e) {
    await drop(id);
    const code = (e as NodeJS.ErrnoException).code;
    throw new VeError(code === 'ENOSPC' ? 'NO_DISK_SPACE' : 'INTERNAL', `template ${t.manifest.name}: writing failed (${(e as Error).message}); transfer dropped`);
  } finally {
    t.busy = false;
  }
  t.hash.update(data);
  t.received += data.length;
  touch(t);
  return t.received;
}

/** Checks size and sha256 and renames the file into the cache; any mismatch drops the transfer. */
export async function commitReceive(id: string): Promise<TemplateManifest> {
  const t = get(id);
  t.busy = true;
  try {
    if (t.received !== t.manifest.sizeBytes) throw new VeError('BAD_PARAMS', `template ${t.manifest.name}: received ${t.received} bytes, the manifest says ${t.manifest.sizeBytes}`);
    const sum = t.hash.digest('hex');
    if (sum !== t.manifest.sha256) throw new VeError('BAD_PARAMS', `template ${t.manifest.name}: checksum mismatch (got ${sum}, manifest says ${t.manifest.sha256})`);
    await t.fh.sync();
    await t.fh.close();
    const dir = cacheDir(t.vzroot);
    // Tarball first, manifest last (atomically): findTemplate sees the template only once both are whole.
    await rename(t.file, path.join(dir, `${t.manifest.name}.tar.gz`));
    const tmpJson = path.join(dir, `.recv-${id}.json`);
    await writeFile(tmpJson, JSON.stringify(t.manifest, null, 2) + '\n', { mode: 0o600 });
    await rename(tmpJson, path.join(dir, `${t.manifest.name}.json`));
    return t.manifest;
  } finally {
    await drop(id);
  }
}

export const abortReceive = (id: string): Promise<boolean> => drop(id);

/** Reads part of a cached template (base64 on the wire), with its manifest. */
export async function readTemplate(vzroot: string, name: string, offset: number, length: number) {
  const t = await findTemplate(vzroot, name);
  const fh = await open(t.tarball, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, Math.min(length, t.manifest.sizeBytes - offset)));
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return { data: buf.subarray(0, bytesRead).toString('base64'), eof: offset + bytesRead >= t.manifest.sizeBytes, manifest: t.manifest };
  } finally {
    await fh.close();
  }
}
