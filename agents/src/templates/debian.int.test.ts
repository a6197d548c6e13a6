// Every Debian recipe end to end: systemd as PID 1 in a VE, sshd answering on the address the agent
// gave it. Slow (debootstrap, minutes each): runs only with VZ_TEST_DEBIAN=1. VZ_TEST_DEBIAN_DIR=<dir
// with <name>.tar.gz + .json per recipe> (built by `./vz test`'s debian-template stage) reuses the
// builds; a recipe missing there is built here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import path from 'node:path';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { createVe } from '../lxc/create';
import { startVe, stopVe } from '../lxc/power';
import { execInVe } from '../lxc/exec';
import { run } from '../sys/exec';
import { withUndo } from '../sys/undo';
import { importTemplate } from './cache';
import { buildDebianTemplate, hostMirror } from './debian';
import { DEBIAN_RECIPES, probeSuite } from './recipes';
import { prebuiltDebian } from '@/test/fixtures/debian-build';

const enabled = process.env.VZ_TEST_DEBIAN === '1';
const NET = '10.199.73';
let node: TestNode;

/** The first line sshd sends, read over TCP from the host (null if nothing answers in time). */
function sshBanner(host: string, timeoutMs = 5_000): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ host, port: 22, timeout: timeoutMs });
    let buf = '';
    const done = (v: string | null) => { s.destroy(); resolve(v); };
    s.on('data', (b) => { buf += b.toString('latin1'); if (buf.includes('\n')) done(buf.split('\r\n')[0].split('\n')[0]); });
    s.on('timeout', () => done(null));
    s.on('error', () => done(null));
    s.on('close', () => done(buf || null));
  });
}

async function cachedOrBuilt(name: string) {
  return (await prebuiltDebian(name)) ?? buildDebianTemplate(path.join(node.vzroot, 'build'), { name });
}

describe.skipIf(!enabled)('Debian templates', () => {
  beforeAll(async () => {
    node = await makeTestNode({ ctidBase: 73000, ctidCount: 1000, bridgePrefix: 'vztb', net: NET, tmpPrefix: '/tmp/vz-tb-' });
    // The host's own address on the test bridge, so it can reach the VEs' sshd.
    await run('ip', ['addr', 'add', `${NET}.1/24`, 'dev', node.bridge]);
  }, 600_000);
  afterAll(async () => node?.cleanup());

  for (const r of DEBIAN_RECIPES) {
    it(`${r.name} (${r.suite}) boots systemd as PID 1, answers ssh on its address and stops cleanly`, { timeout: 1_500_000 }, async () => {
      const mirror = await hostMirror();
      const served = await probeSuite(mirror, r.suite);
      if (!served.served) {
        // The mirror lacks the suite: the build must refuse at once, saying why.
        await expect(buildDebianTemplate(path.join(node.vzroot, 'build'), { name: r.name, mirror })).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining(r.suite) });
        return;
      }
      const t = await cachedOrBuilt(r.name);
      expect(t.manifest).toMatchObject({ name: r.name, os: 'debian', version: r.version });
      await importTemplate(node.vzroot, t.tarball, t.manifest);

      const ctid = node.ctid();
      const ip = node.ip();
      const c = await withUndo((u) => createVe(node, { ctid, ostemplate: r.name, hostname: `tb-${r.version}`, ips: [ip], password: 'pw', ram: 256 * 2 ** 20, diskspace: 1024 * 2 ** 20 }, u));
      expect(c.haltsignal).toBe('SIGRTMIN+3');
      await withUndo((u) => startVe(node, ctid, u));
      let state = '';
      for (let i = 0; i < 240 && !/^(running|degraded)$/.test(state); i++) {
        state = (await execInVe(node, { ctid, command: ['systemctl', 'is-system-running'] })).stdout.trim();
        await new Promise((res) => setTimeout(res, 250));
      }
      const failed = state === 'running' ? '' : (await execInVe(node, { ctid, command: ['systemctl', '--failed', '--no-legend'] })).stdout;
      expect({ state, failed }).toEqual({ state: 'running', failed: '' });
      const inside = await execInVe(node, { ctid, script: 'cat /proc/1/comm; . /etc/os-release; echo "$VERSION_ID"; hostname' });
      expect(inside.stdout.split('\n').slice(0, 3)).toEqual(['systemd', r.version, `tb-${r.version}`]);

      const addr = ip.split('/')[0];
      let banner: string | null = null;
      for (let i = 0; i < 40 && !banner; i++) {
        banner = await sshBanner(addr);
        if (!banner) await new Promise((res) => setTimeout(res, 250));
      }
      expect(banner).toMatch(/^SSH-2\.0-OpenSSH_\S+ Debian/);

      const t0 = Date.now();
      expect((await stopVe(node, ctid, { timeoutSec: 30 })).how).toBe('clean');
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(await sshBanner(addr, 1_000)).toBeNull();
    });
  }
});
