import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { minimalRoot, writeTar, type Member } from '@/test/fixtures/rootfs-tar';
import { receiveArchive, type UploadLimits } from './receive';

const work = mkdtempSync(path.join(tmpdir(), 'tc-upload-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const LIMITS: UploadLimits = { maxUploadBytes: 50 << 20, maxUnpackedBytes: 50 << 20, maxEntries: 1000 };
let n = 0;

async function upload(members: Member[], compression: '' | 'gz' | 'xz' | 'zst' = 'gz', limits = LIMITS) {
  const src = writeTar(path.join(work, `in-${n++}.tar`), members, compression);
  const store = path.join(work, `store-${n}`);
  try {
    return { r: await receiveArchive(createReadStream(src), store, limits), store, src };
  } catch (e) {
    // Whatever went wrong, the store holds nothing afterwards.
    expect(readdirSync(store)).toEqual([]);
    throw e;
  }
}

const refused = (members: Member[], why: RegExp, limits = LIMITS) => expect(upload(members, 'gz', limits)).rejects.toThrow(why);

describe('template upload: accepted archives', () => {
  it.each(['', 'gz', 'xz', 'zst'] as const)('a minimal root (%s) is stored as .tar.gz with os/version from os-release', async (c) => {
    const { r, src } = await upload(minimalRoot(), c);
    expect(r).toMatchObject({ os: 'tinyos', version: '1.2', init: '/sbin/init', prettyName: 'Tiny OS 1.2', compression: c === '' ? 'none' : c === 'gz' ? 'gzip' : c === 'zst' ? 'zstd' : 'xz' });
    expect(r.uploadSha256).toBe(createHash('sha256').update(readFileSync(src)).digest('hex'));
    expect(r.sha256).toBe(createHash('sha256').update(readFileSync(r.file)).digest('hex'));
    // What nodes get is a gzip tarball tar reads, with every member.
    const names = execFileSync('tar', ['-tzf', r.file], { encoding: 'utf8' });
    expect(names).toContain('./usr/lib/os-release');
    expect(r.entries).toBe(minimalRoot().length);
  });

  it('a systemd root without /sbin/init passes on /lib/systemd/systemd', async () => {
    const m = minimalRoot().filter((x) => x.name !== './sbin/init');
    const { r } = await upload([...m, { name: './lib/', type: 'dir' }, { name: './lib/systemd/', type: 'dir' }, { name: './lib/systemd/systemd', data: 'elf', mode: 0o755 }]);
    expect(r.init).toBe('/lib/systemd/systemd');
  });
});

describe('template upload: hostile or malformed archives are refused with the reason', () => {
  const root = minimalRoot();
  it('absolute paths', () => refused([...root, { name: '/etc/cron.d/evil', data: 'x' }], /absolute path/));
  it('".." components', () => refused([...root, { name: './../../etc/passwd', data: 'x' }], /"\.\." component/));
  it('symlinks that climb out of the root', () => refused([...root, { name: './etc/evil', type: 'sym', link: '../../../etc/shadow' }], /escapes the root/));
  it('hard links outside the root', () => refused([...root, { name: './etc/evil', type: 'hard', link: '../etc/shadow' }], /"\.\." component/));
  it('hard links to absolute host paths', () => refused([...root, { name: './etc/evil', type: 'hard', link: '/etc/shadow' }], /absolute path/));
  it('members written through a symlink', () => refused([...root, { name: './host', type: 'sym', link: '/' }, { name: './host/etc/passwd', data: 'x' }], /lies below host/));
  it('block devices', () => refused([...root, { name: './dev/sda', type: 'blk', major: 8, minor: 0 }], /block device/));
  it('non-standard character devices (/dev/mem)', () => refused([...root, { name: './dev/mem', type: 'chr', major: 1, minor: 1 }], /character device 1:1/));
  it('device nodes outside /dev', () => refused([...root, { name: './tmp/null', type: 'chr', major: 1, minor: 3 }], /character device/));
  it('FIFOs outside /dev and /run', () => refused([...root, { name: './etc/pipe', type: 'fifo' }], /FIFO/));
  it('setuid files outside the allowed set', () => refused([...root, { name: './usr/bin/rootshell', data: 'x', mode: 0o4755 }], /usr\/bin\/rootshell is setuid/));
  it('setgid files outside the allowed set', () => refused([...root, { name: './tmp/g', data: 'x', mode: 0o2755 }], /setuid\/setgid/));
  it('too many members', () => refused(root, /more than 5 members/, { ...LIMITS, maxEntries: 5 }));
  it('too large once unpacked (zip bomb)', () => refused([...root, { name: './zeros', zeros: 64 << 20 }], /unpacks to more than/));
  it('no init', () => refused(root.filter((m) => m.name !== './sbin/init'), /no init/));
  it('an init that is a dangling symlink', () => refused([...root.filter((m) => m.name !== './bin/busybox')], /no init/));
  it('no os-release', () => refused(root.filter((m) => !m.name.includes('os-release')), /os-release/));
  it('an os-release without ID', () => refused(minimalRoot('NAME=x\n'), /no usable ID/));
  it('an upload over the size limit', () => refused([...root, { name: './big', data: 'y'.repeat(200_000) }], /larger than/, { ...LIMITS, maxUploadBytes: 300 }));

  it('bytes that are not a tar archive', async () => {
    const f = path.join(work, 'junk.tar');
    writeFileSync(f, Buffer.alloc(4096, 7));
    await expect(receiveArchive(createReadStream(f), path.join(work, 'junk-store'), LIMITS)).rejects.toThrow(/not a tar archive/);
    expect(readdirSync(path.join(work, 'junk-store'))).toEqual([]);
  });

  it('a truncated archive', async () => {
    const src = writeTar(path.join(work, 'trunc.tar'), [...root, { name: './big', data: 'z'.repeat(100_000) }], '');
    const cut = path.join(work, 'trunc-cut.tar');
    writeFileSync(cut, readFileSync(src).subarray(0, 50_000));
    await expect(receiveArchive(createReadStream(cut), path.join(work, 'trunc-store'), LIMITS)).rejects.toThrow(/truncated/);
  });

  it('a corrupt gzip stream', async () => {
    const src = writeTar(path.join(work, 'bad.tar.gz'), root, 'gz');
    const buf = readFileSync(src);
    buf.fill(0x55, 20, 200);
    writeFileSync(src, buf);
    await expect(receiveArchive(createReadStream(src), path.join(work, 'bad-store'), LIMITS)).rejects.toThrow(/archive refused/);
    expect(readdirSync(path.join(work, 'bad-store'))).toEqual([]);
  });
});
