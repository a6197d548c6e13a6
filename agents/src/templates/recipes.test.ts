import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDebianTemplate, debootstrapArgv } from './debian';
import { aptSources, DEBIAN_RECIPES, findRecipe, listRecipes, probeSuite } from './recipes';

// A stand-in mirror on loopback that serves bookworm only (real HTTP, as debootstrap would see it).
let server: Server;
let mirror: string;
const work = mkdtempSync(path.join(tmpdir(), 'vz-tb-recipes-'));
beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/debian/dists/bookworm/Release' ? 200 : 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mirror = `http://127.0.0.1:${(server.address() as { port: number }).port}/debian`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(work, { recursive: true, force: true });
});

describe('Debian recipes', () => {
  it('are data: one entry per release, each a minimal server with init and sshd and no network manager', () => {
    expect(DEBIAN_RECIPES.map((r) => [r.name, r.suite, r.version])).toEqual([
      ['debian-11', 'bullseye', '11'], ['debian-12', 'bookworm', '12'], ['debian-13', 'trixie', '13'],
    ]);
    for (const r of DEBIAN_RECIPES) {
      expect(r.include).toEqual(expect.arrayContaining(['systemd-sysv', 'openssh-server']));
      expect(r.include).not.toEqual(expect.arrayContaining(['ifupdown']));
      expect(r.mask).toEqual(expect.arrayContaining(['sys-kernel-debug.mount', 'systemd-modules-load.service']));
    }
    expect(findRecipe('debian-11').mask).toContain('systemd-journald-audit.socket');
    const r13 = findRecipe('debian-13');
    expect(debootstrapArgv({ suite: r13.suite, target: '/tmp/r', mirror: 'http://deb.debian.org/debian', arch: 'amd64', include: r13.include, exclude: ['e2fsprogs'] })).toEqual([
      '--variant=minbase', '--arch=amd64', '--include=systemd-sysv,openssh-server,iproute2', '--exclude=e2fsprogs', 'trixie', '/tmp/r', 'http://deb.debian.org/debian',
    ]);
    expect(() => debootstrapArgv({ suite: 'trixie', target: '/tmp/r', mirror: 'http://x/debian', exclude: ['a b'] })).toThrow(/bad package/);
    expect(() => findRecipe('debian-99')).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringMatching(/debian-11, debian-12, debian-13/) }));
  });

  it('give the VE apt sources with -updates and -security beside the mirror', () => {
    expect(aptSources(findRecipe('debian-11'), 'http://deb.debian.org/debian')).toBe(
      'deb http://deb.debian.org/debian bullseye main\n' +
      'deb http://deb.debian.org/debian bullseye-updates main\n' +
      'deb http://deb.debian.org/debian-security bullseye-security main\n',
    );
  });

  it('are checked against the mirror: a suite it does not serve is listed unavailable with the answer, and its build refused before any work', async () => {
    expect(await probeSuite(mirror, 'bookworm')).toEqual({ served: true });
    const list = await listRecipes(mirror);
    expect(list.map((r) => [r.name, r.available])).toEqual([['debian-11', false], ['debian-12', true], ['debian-13', false]]);
    expect(list[0].reason).toMatch(/dists\/bullseye\/Release: HTTP 404/);
    expect((await listRecipes(undefined))[1]).toMatchObject({ available: false, reason: 'no Debian mirror in apt sources' });

    const out = path.join(work, 'out');
    await expect(buildDebianTemplate(out, { name: 'debian-13', mirror })).rejects.toMatchObject({
      code: 'UNSUPPORTED', message: expect.stringMatching(/cannot build debian-13: the mirror does not serve trixie .*HTTP 404/),
    });
    expect(readdirSync(work)).toEqual([]);
    const dead = 'http://127.0.0.1:9/debian';
    expect((await probeSuite(dead, 'trixie', 2_000)).served).toBe(false);
  });
});
