// Disk I/O caps on a real VE: iolimit/iopslimit live via ve.set and again at start; ioprio reported honestly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { makeTestNode, type TestNode } from './test-env';
import { createVe } from './create';
import { startVe, stopVe } from './power';
import { execInVe } from './exec';
import { setVe } from './set';
import { hostFacts } from './host-facts';
import { loopDevNumber } from './io-limits';
import { readVe } from './ve-store';
import { withUndo } from '../sys/undo';
import { vePaths } from '../sys/paths';

const MiB = 1024 * 1024;
let node: TestNode;
let ct: number;
const v1 = hostFacts().version === 'v1';

const cg = (key: string) => {
  const r = spawnSync('lxc-cgroup', ['-n', String(ct), '-P', vePaths(node.vzroot, ct).lxcpath, key], { encoding: 'utf8' });
  return r.stdout.trim();
};
/** Seconds to write 6 MiB with O_DIRECT inside the VE (direct I/O is what cgroup v1 can throttle). */
async function ddSeconds(): Promise<number> {
  const t0 = Date.now();
  const r = await execInVe(node, { ctid: ct, script: 'rm -f /f; dd if=/dev/zero of=/f bs=1M count=6 oflag=direct 2>&1; rc=$?; rm -f /f; exit $rc', timeoutSec: 60 });
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  return (Date.now() - t0) / 1000;
}

beforeAll(async () => {
  node = await makeTestNode();
  ct = node.ctid();
  await withUndo((u) => createVe(node, { ctid: ct, ostemplate: 'busybox', ips: [node.ip()], ram: 128 * MiB, diskspace: 64 * MiB, diskinodes: 8192 }, u));
  await withUndo((u) => startVe(node, ct, u));
}, 120_000);

afterAll(async () => {
  await node?.cleanup();
});

describe('iolimit / iopslimit', () => {
  it('caps direct writes at 2 MB/s live, and lifts the cap with 0', async () => {
    const fast = await ddSeconds();
    const r = await withUndo((u) => setVe(node, { ctid: ct, iolimit: 2_000_000 }, u));
    expect(r.applied).toContain('iolimit');
    const dev = await loopDevNumber(vePaths(node.vzroot, ct).image);
    expect(dev).toMatch(/^7:\d+$/);
    if (v1) {
      expect(cg('blkio.throttle.write_bps_device')).toBe(`${dev} 2000000`);
      expect(cg('blkio.throttle.read_bps_device')).toBe(`${dev} 2000000`);
    } else {
      expect(cg('io.max')).toContain(`${dev} rbps=2000000 wbps=2000000`);
    }
    const slow = await ddSeconds();
    expect(slow).toBeGreaterThanOrEqual(2.5);
    expect((await readVe(node.vzroot, ct)).iolimit).toBe(2_000_000);

    const r0 = await withUndo((u) => setVe(node, { ctid: ct, iolimit: 0 }, u));
    expect(r0.applied).toContain('iolimit');
    if (v1) expect(cg('blkio.throttle.write_bps_device')).toBe('');
    const again = await ddSeconds();
    expect(again).toBeLessThan(Math.max(1.5, fast * 3));
  }, 120_000);

  it('applies saved caps at start, on the new loop device', async () => {
    await withUndo((u) => setVe(node, { ctid: ct, iolimit: 3_000_000, iopslimit: 50 }, u));
    await stopVe(node, ct, { fast: true });
    await withUndo((u) => startVe(node, ct, u));
    const dev = await loopDevNumber(vePaths(node.vzroot, ct).image);
    if (v1) {
      expect(cg('blkio.throttle.write_bps_device')).toBe(`${dev} 3000000`);
      expect(cg('blkio.throttle.write_iops_device')).toBe(`${dev} 50`);
      expect(cg('blkio.throttle.read_iops_device')).toBe(`${dev} 50`);
    } else {
      expect(cg('io.max')).toBe(`${dev} rbps=3000000 wbps=3000000 riops=50 wiops=50`);
    }
    const r = await withUndo((u) => setVe(node, { ctid: ct, iolimit: 0, iopslimit: 0 }, u));
    expect(r.applied).toEqual(expect.arrayContaining(['iolimit', 'iopslimit']));
  }, 120_000);

  it('saves ioprio and says when the kernel cannot enforce it', async () => {
    const r = await withUndo((u) => setVe(node, { ctid: ct, ioprio: 6 }, u));
    expect((await readVe(node.vzroot, ct)).ioprio).toBe(6);
    if (hostFacts().ioWeight) {
      expect(r.notApplied).toBeUndefined();
    } else {
      expect(r.applied).not.toContain('ioprio');
      expect(r.notApplied).toEqual([{ key: 'ioprio', reason: expect.stringMatching(/not enforced/) }]);
    }
  }, 60_000);
});
