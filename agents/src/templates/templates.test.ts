import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildBusyboxTemplate } from './busybox';
import { findTemplate, importTemplate, listTemplates } from './cache';
import { debootstrapArgv, mirrorFromSources } from './debian';

const work = mkdtempSync(path.join(tmpdir(), 'vz-tpl-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('busybox template', () => {
  it('builds a bootable rootfs tarball with a matching manifest in seconds', async () => {
    const t0 = Date.now();
    const t = await buildBusyboxTemplate(path.join(work, 'out'));
    expect(Date.now() - t0).toBeLessThan(10_000);
    const list = execFileSync('tar', ['-tzvf', t.tarball], { encoding: 'utf8' });
    expect(list).toMatch(/\.\/sbin\/init -> \/bin\/busybox/);
    expect(list).toMatch(/\.\/usr\/sbin\/httpd -> \/bin\/busybox/);
    const inittab = execFileSync('tar', ['-xzOf', t.tarball, './etc/inittab'], { encoding: 'utf8' });
    expect(inittab).toMatch(/syslogd/);
    expect(inittab).toMatch(/crond/);
    expect(inittab).toMatch(/httpd -f -p 80 -h \/www/);
    expect(inittab).not.toMatch(/getty/);
    expect(t.manifest).toMatchObject({ name: 'busybox', os: 'busybox', arch: 'amd64' });
    expect(JSON.parse(readFileSync(t.manifestPath, 'utf8')).sha256).toBe(t.manifest.sha256);

    const vzroot = path.join(work, 'vz');
    await importTemplate(vzroot, t.tarball, t.manifest);
    expect((await findTemplate(vzroot, 'busybox')).manifest.sha256).toBe(t.manifest.sha256);
    expect((await listTemplates(vzroot)).map((m) => m.name)).toEqual(['busybox']);

    // A tampered tarball (same size, one byte changed) is refused and the cache stays as it was.
    const bad = path.join(work, 'bad.tar.gz');
    const buf = readFileSync(t.tarball);
    buf[buf.length - 10] ^= 0xff;
    writeFileSync(bad, buf);
    await expect(importTemplate(vzroot, bad, { ...t.manifest, name: 'evil' })).rejects.toMatchObject({ code: 'BAD_PARAMS', message: expect.stringMatching(/checksum mismatch/) });
    await expect(findTemplate(vzroot, 'evil')).rejects.toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
    expect(readdirSync(path.join(vzroot, 'template/cache')).sort()).toEqual(['busybox.json', 'busybox.tar.gz']);
    expect(existsSync(path.join(vzroot, 'template/cache/evil.tar.gz'))).toBe(false);
  });

  it('names a missing template with vzctl code 91', async () => {
    await expect(findTemplate(path.join(work, 'none'), 'centos-7')).rejects.toMatchObject({ code: 'TEMPLATE_NOT_FOUND' });
    await expect(findTemplate(work, '../etc/passwd')).rejects.toMatchObject({ code: 'BAD_PARAMS' });
  });
});

describe('debian template builder', () => {
  it('builds the debootstrap argv from the configured mirror', () => {
    const mirror = mirrorFromSources([
      '',
      'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n',
    ]);
    expect(mirror).toBe('http://deb.debian.org/debian');
    expect(mirrorFromSources(['deb [arch=amd64] http://mirror.example/debian bookworm main\n'])).toBe('http://mirror.example/debian');
    expect(debootstrapArgv({ suite: 'bookworm', target: '/tmp/r', mirror: mirror!, arch: 'amd64' })).toEqual([
      '--variant=minbase', '--arch=amd64', '--include=systemd-sysv,openssh-server', 'bookworm', '/tmp/r', 'http://deb.debian.org/debian',
    ]);
    expect(() => debootstrapArgv({ suite: 'bookworm', target: '/tmp/r', mirror: 'http://x/debian;rm -rf /' })).toThrow(/bad mirror/);
  });
});
