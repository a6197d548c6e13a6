// Density settings on the real host: applied idempotently, reported per setting, and a full bridge refuses a start with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { createVe } from '../lxc/create';
import { startVe } from '../lxc/power';
import { run } from '../sys/exec';
import { withUndo } from '../sys/undo';
import { applyDensitySettings, densityFacts } from './density';

let node: TestNode;
const dummy = `snd${randomBytes(2).toString('hex')}`;

beforeAll(async () => {
  node = await makeTestNode({ ctidBase: 74000, ctidCount: 500, bridgePrefix: 'vzsn', net: '10.199.82', tmpPrefix: '/tmp/sn-density-' });
}, 120_000);
afterAll(async () => {
  delete process.env.VZ_BRIDGE_PORT_LIMIT;
  await run('ip', ['link', 'del', dummy], { allowFail: true });
  await node?.cleanup();
});

describe('density settings', () => {
  it('are raised at start (a second run changes nothing) and reported enough for 3,000 VEs, all but the bridge ports', async () => {
    await applyDensitySettings(3000);
    expect(await applyDensitySettings(3000)).toEqual([]);
    const f = await densityFacts(node.bridge, 3000);
    expect(f.targetVes).toBe(3000);
    const by = Object.fromEntries(f.settings.map((s) => [s.key, s]));
    for (const k of ['pty.max', 'ipv4.gc_thresh3', 'ipv6.gc_thresh3', 'inotify.instances', 'keys.maxkeys', 'pid_max']) {
      expect(by[k], k).toMatchObject({ enough: true });
      expect(by[k].value, k).toBeGreaterThanOrEqual(by[k].needed);
    }
    expect(Number((await readFile('/proc/sys/net/ipv6/neigh/default/gc_thresh3', 'utf8')).trim())).toBe(by['ipv6.gc_thresh3'].value);
    // 3,000 VEs fit on the main bridge and its overflow bridges (8 by default: 9,191 VEs at 1,023 ports each).
    expect(by['bridge.ports']).toMatchObject({ enough: true, value: 0, needed: 3000 });
    expect(by['bridge.ports'].why).toMatch(/1,023 ports.*9,191 VEs in all/);
    expect(f.bridges).toEqual([{ name: node.bridge, role: 'main', ports: 0, vePorts: 0, limit: 1023 }]);
    expect((await densityFacts(node.bridge, 10_000)).settings.find((s) => s.key === 'bridge.ports')?.enough).toBe(false);
  });

  it('refuses to start a VE on a bridge that has no port left, saying why', { timeout: 120_000 }, async () => {
    const ctid = node.ctid();
    await withUndo((u) => createVe(node, { ctid, ostemplate: 'busybox', hostname: 'sn-density', ips: [node.ip()], ram: 64 * 2 ** 20, diskspace: 64 * 2 ** 20, diskinodes: 8192 }, u));
    await run('ip', ['link', 'add', dummy, 'type', 'veth', 'peer', 'name', `${dummy}p`]);
    await run('ip', ['link', 'set', dummy, 'master', node.bridge]);
    process.env.VZ_BRIDGE_PORT_LIMIT = '1'; // and no port left on it to link an overflow bridge
    await expect(withUndo((u) => startVe(node, ctid, u))).rejects.toMatchObject({
      code: 'UNSUPPORTED', data: { reason: 'BRIDGE_FULL' }, message: expect.stringMatching(new RegExp(`bridge ${node.bridge} already has 1 ports and its 0 overflow bridges are full \\(0 allowed\\)`)),
    });
    expect((await run('lxc-info', ['-n', String(ctid), '-P', `${node.vzroot}/lxc`, '-sH'], { allowFail: true })).stdout.trim()).toBe('STOPPED');
  });
});
