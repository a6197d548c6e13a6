// ve.list's full answer on real LXC: running, stopped and frozen VEs from kernel files, no lxc-ls (issue 15).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestNode, type TestNode } from './test-env';
import { createVe } from './create';
import { startVe, suspendVe } from './power';
import { withUndo } from '../sys/undo';
import { vePaths } from '../sys/paths';
import { lxcList } from './lxc-cli';
import { kernelStates } from './kernel-states';
import { dropFeed, feedStats, veFeed } from './ve-feed';

const MiB = 1024 * 1024;
let node: TestNode;
let run: number, frozen: number, stopped: number;

beforeAll(async () => {
  node = await makeTestNode({ ctidBase: 78000, bridgePrefix: 'vzh178', net: '10.199.178', tmpPrefix: '/tmp/h178-feed-' });
  [run, frozen, stopped] = [node.ctid(), node.ctid(), node.ctid()];
  const common = { ostemplate: 'busybox', ram: 64 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 8192 };
  for (const ctid of [run, frozen, stopped]) await withUndo((u) => createVe(node, { ...common, ctid, hostname: `h178-${ctid}`, ips: [node.ip()] }, u));
  await withUndo((u) => startVe(node, run, u));
  await withUndo((u) => startVe(node, frozen, u));
  await suspendVe(node, frozen);
}, 300_000);

afterAll(async () => {
  if (node) dropFeed(node.vzroot);
  await node?.cleanup();
}, 300_000);

describe('ve.list full answer from kernel files', () => {
  it('reports running, suspended and stopped like lxc-ls, with no lxc-ls or lxc-info run', { timeout: 120_000 }, async () => {
    const lxcpath = vePaths(node.vzroot, 0).lxcpath;
    const k = await kernelStates(lxcpath);
    expect(k?.unsure).toEqual([]);
    const before = { ...feedStats };
    const full = await veFeed(node);
    expect(full.full).toBe(true);
    expect(feedStats.lxcLs - before.lxcLs).toBe(0);
    expect(feedStats.lxcInfo - before.lxcInfo).toBe(0);
    const status = Object.fromEntries(full.ves.map((v) => [v.ctid, v.status]));
    expect(status).toEqual({ [run]: 'running', [frozen]: 'suspended', [stopped]: 'stopped' });
    // The same states lxc-ls -f reports (it asks each container's monitor).
    const ls = await lxcList(lxcpath);
    expect([ls.get(run), ls.get(frozen), ls.get(stopped) ?? 'STOPPED']).toEqual(['RUNNING', 'FROZEN', 'STOPPED']);
  });

  it('answers a delta (a VE created and started, another started) from kernel files too, with no lxc-info run', { timeout: 180_000 }, async () => {
    const first = await veFeed(node);
    const made = node.ctid();
    await withUndo((u) => createVe(node, { ostemplate: 'busybox', ram: 64 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 8192, ctid: made, hostname: `h182-${made}`, ips: [node.ip()] }, u));
    await withUndo((u) => startVe(node, made, u));
    await withUndo((u) => startVe(node, stopped, u));
    const before = { ...feedStats };
    const d = await veFeed(node, { epoch: first.epoch, gen: first.gen });
    expect(d.full).toBe(false);
    expect(Object.fromEntries(d.ves.map((v) => [v.ctid, v.status]))).toEqual({ [made]: 'running', [stopped]: 'running' });
    expect([feedStats.lxcLs - before.lxcLs, feedStats.lxcInfo - before.lxcInfo]).toEqual([0, 0]);
    // The frozen VE is read from its freezer file each delta (its socket stays), and stays suspended.
    const again = await veFeed(node, { epoch: d.epoch, gen: d.gen });
    expect(again).toMatchObject({ full: false, ves: [], removed: [] });
    expect(feedStats.lxcInfo - before.lxcInfo).toBe(0);
  });
});
