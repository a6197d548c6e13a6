import { afterAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cacheDir, findTemplate } from './cache';
import { abortReceive, beginReceive, commitReceive, readTemplate, receiveChunk } from './receive';

const work = mkdtempSync(path.join(tmpdir(), 'hd-recv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const blob = randomBytes(300_000);
const manifest = (name: string, body = blob) => ({ name, os: 'tinyos', version: '1', arch: 'amd64', sizeBytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
const leftovers = (vzroot: string) => readdirSync(cacheDir(vzroot)).filter((f) => f.startsWith('.'));

async function push(vzroot: string, m: ReturnType<typeof manifest>, body: Buffer, chunk = 100_000) {
  const b = await beginReceive(vzroot, m);
  if (b.have) return { have: true as const };
  for (let off = 0; off < body.length; off += chunk) await receiveChunk(b.transfer!, off, body.subarray(off, off + chunk));
  return { have: false as const, manifest: await commitReceive(b.transfer!) };
}

describe('template receive (the panel pushes a tarball into the node cache)', () => {
  it('installs a pushed tarball under its name after checking size and sha256; a repeat push is a no-op', async () => {
    const vzroot = path.join(work, 'a');
    const m = manifest('tiny.v2');
    expect(await push(vzroot, m, blob)).toMatchObject({ have: false, manifest: { name: 'tiny.v2', sha256: m.sha256 } });
    const held = await findTemplate(vzroot, 'tiny.v2');
    expect(readFileSync(held.tarball).equals(blob)).toBe(true);
    expect(held.manifest.sha256).toBe(m.sha256);
    expect(await push(vzroot, m, blob)).toEqual({ have: true });
    expect(leftovers(vzroot)).toEqual([]);
    // The panel can read it back (a node-built template pulled into the panel's store).
    const r = await readTemplate(vzroot, 'tiny.v2', 299_990, 100);
    expect(Buffer.from(r.data, 'base64').equals(blob.subarray(299_990))).toBe(true);
    expect(r.eof).toBe(true);
  });

  it('a wrong checksum, too many bytes, an out-of-order chunk or an abort leave nothing in the cache', async () => {
    const vzroot = path.join(work, 'b');
    // Checksum: the bytes differ from what the manifest names.
    const bad = Buffer.from(blob);
    bad[10] ^= 1;
    await expect(push(vzroot, manifest('bad'), bad)).rejects.toMatchObject({ code: 'BAD_PARAMS', message: expect.stringMatching(/checksum mismatch/) });
    // Too many bytes.
    const big = await beginReceive(vzroot, manifest('big', blob.subarray(0, 10)));
    await expect(receiveChunk(big.transfer!, 0, blob.subarray(0, 11))).rejects.toMatchObject({ message: expect.stringMatching(/more bytes than/) });
    await expect(receiveChunk(big.transfer!, 0, blob.subarray(0, 1))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Out of order: refused, the transfer goes on from where it was.
    const ooo = await beginReceive(vzroot, manifest('ooo'));
    await receiveChunk(ooo.transfer!, 0, blob.subarray(0, 1000));
    await expect(receiveChunk(ooo.transfer!, 5000, blob.subarray(5000, 6000))).rejects.toMatchObject({ code: 'BAD_PARAMS', data: { expected: 1000 } });
    // Only one transfer per name at a time; an abort frees it and removes the temp file.
    await expect(beginReceive(vzroot, manifest('ooo'))).rejects.toMatchObject({ code: 'VE_LOCKED' });
    expect(await abortReceive(ooo.transfer!)).toBe(true);
    // Short: commit before all bytes arrived.
    const short = await beginReceive(vzroot, manifest('short'));
    await receiveChunk(short.transfer!, 0, blob.subarray(0, 1000));
    await expect(commitReceive(short.transfer!)).rejects.toMatchObject({ message: expect.stringMatching(/received 1000 bytes/) });
    expect(readdirSync(cacheDir(vzroot))).toEqual([]);
    await expect(findTemplate(vzroot, 'bad')).rejects.toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
  });

  it('a push of another build under a held name replaces it; no space says so before any byte is sent', async () => {
    const vzroot = path.join(work, 'c');
    await push(vzroot, manifest('same'), blob);
    const other = randomBytes(1000);
    await push(vzroot, manifest('same', other), other);
    expect((await findTemplate(vzroot, 'same')).manifest.sha256).toBe(manifest('same', other).sha256);
    await expect(beginReceive(vzroot, { ...manifest('huge'), sizeBytes: 2 ** 52 })).rejects.toMatchObject({ code: 'NO_DISK_SPACE' });
    expect(leftovers(vzroot)).toEqual([]);
  });
});
