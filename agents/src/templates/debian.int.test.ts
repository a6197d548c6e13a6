// debian-12 template end to end (slow: debootstrap ~70 s). Runs only with VZ_TEST_DEBIAN=1;
// VZ_TEST_DEBIAN_DIR=<dir with debian-12.tar.gz + .json> reuses a built template.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { createVe } from '../lxc/create';
import { startVe, stopVe } from '../lxc/power';
import { execInVe } from '../lxc/exec';
import { withUndo } from '../sys/undo';
import { importTemplate } from './cache';
import { buildDebianTemplate } from './debian';

const enabled = process.env.VZ_TEST_DEBIAN === '1';
let node: TestNode;

describe.skipIf(!enabled)('debian-12 template', () => {
  beforeAll(async () => {
    node = await makeTestNode();
    const dir = process.env.VZ_TEST_DEBIAN_DIR;
    const t = dir
      ? { tarball: path.join(dir, 'debian-12.tar.gz'), manifest: JSON.parse(readFileSync(path.join(dir, 'debian-12.json'), 'utf8')) }
      : await buildDebianTemplate(path.join(node.vzroot, 'build'));
    await importTemplate(node.vzroot, t.tarball, t.manifest);
  }, 600_000);
  afterAll(async () => node?.cleanup());

  it('boots systemd as PID 1 with sshd, sees its own memory, and stops cleanly on SIGRTMIN+3', async () => {
    const ctid = node.ctid();
    const c = await withUndo((u) => createVe(node, { ctid, ostemplate: 'debian-12', hostname: 'deb1', ips: [node.ip()], password: 'pw', ram: 256 * 2 ** 20, diskspace: 1024 * 2 ** 20 }, u));
    expect(c.haltsignal).toBe('SIGRTMIN+3');
    await withUndo((u) => startVe(node, ctid, u));
    let state = '';
    for (let i = 0; i < 60 && !/^(running|degraded)$/.test(state); i++) {
      state = (await execInVe(node, { ctid, command: ['systemctl', 'is-system-running'] })).stdout.trim();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(state).toBe('running');
    const r = await execInVe(node, { ctid, script: 'cat /proc/1/comm; pgrep -x sshd >/dev/null && echo sshd; free -m | awk "/^Mem:/{print \\$2}"; hostname' });
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['systemd', 'sshd', '256', 'deb1']);
    const t0 = Date.now();
    expect((await stopVe(node, ctid, { timeoutSec: 30 })).how).toBe('clean');
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
