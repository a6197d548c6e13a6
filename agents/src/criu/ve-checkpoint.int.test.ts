// Checkpoint/restore of a running unprivileged VE with CRIU (issue 13), on real LXC: a counting
// loop continues from its value, limits, the anti-spoofing filter and the root mount come back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { createVe } from '../lxc/create';
import { startVe, veStatus } from '../lxc/power';
import { execInVe } from '../lxc/exec';
import { lxcState } from '../lxc/lxc-cli';
import { withUndo } from '../sys/undo';
import { vePaths } from '../sys/paths';
import { portHasPolicy } from '../net/antispoof';
import { vethName } from '../config/schema';
import { run } from '../sys/exec';
import { checkpointVe } from './ve-checkpoint';
import { criuPath } from './bin';
import { restoreVe } from './ve-restore';

// Checkpointable VEs have no console (LXC 5.0.2 cannot restore one with a console): set before the first VE renders.
process.env.VZ_VE_CONSOLE_LOG = 'off';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let node: TestNode;
let ctid: number;

const sh = async (script: string) => (await execInVe(node, { ctid, script, timeoutSec: 30 })).stdout.trim();
const count = async () => Number(await sh('cat /tmp/count'));
const loopPid = () => sh('cat /tmp/loop.pid');
const memLimit = async () => (await run('lxc-cgroup', ['-n', String(ctid), '-P', vePaths(node.vzroot, ctid).lxcpath, 'memory.limit_in_bytes'])).stdout.trim();
const pidsMax = async () => (await run('lxc-cgroup', ['-n', String(ctid), '-P', vePaths(node.vzroot, ctid).lxcpath, 'pids.max'])).stdout.trim();

beforeAll(async () => {
  node = await makeTestNode({ ctidBase: 28200, ctidCount: 100, bridgePrefix: 'vzcri', net: '10.199.128', tmpPrefix: '/var/tmp/cri-ck-' });
  ctid = node.ctid();
  await withUndo((u) => createVe(node, { ctid, ostemplate: 'busybox', hostname: 'ck.test', ips: [node.ip()], ram: 96 * MiB, numproc: 77, diskspace: 64 * MiB, diskinodes: 8192 }, u));
  await withUndo((u) => startVe(node, ctid, u));
  // a loop the VE's init adopts (the shell that started it exits), as a tenant's daemon would be
  await sh('(i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done) </dev/null >/dev/null 2>&1 & echo $! > /tmp/loop.pid');
  await sleep(1000);
}, 180_000);

afterAll(async () => {
  await node?.cleanup();
}, 120_000);

describe('CRIU checkpoint and restore of a running VE', () => {
  it('vzctl chkpnt: dumps and stops the VE; restore brings its processes back where they were', async () => {
    const pid = await loopPid();
    const limits = [await memLimit(), await pidsMax()];
    expect(limits).toEqual([String(96 * MiB), '77']);
    const ck = await checkpointVe(node, ctid, { stop: true });
    expect(ck.status).toBe('stopped');
    expect(existsSync(path.join(ck.file, 'inventory.img'))).toBe(true);
    expect(await lxcState(ctid, vePaths(node.vzroot, ctid).lxcpath)).toBe('STOPPED');
    expect((await veStatus(node, ctid)).mounted).toBe(false);
    await sleep(1500); // the loop would be ~15 further had it kept running

    const r = await withUndo((u) => restoreVe(node, ctid, u));
    expect(r.status).toBe('running');
    const after = await count();
    // the same process, continuing from its value (a restart would begin at 1 and get a new pid)
    expect(await loopPid()).toBe(pid);
    expect(after).toBeGreaterThan(5);
    await sleep(600);
    expect(await count()).toBeGreaterThan(after);
    // what a start provides is back: cgroup limits, the port filter, the idmapped root
    expect([await memLimit(), await pidsMax()]).toEqual(limits);
    // and LXCFS's view: /proc/meminfo shows the VE's limit, not the host's memory
    expect(await sh('grep MemTotal /proc/meminfo')).toMatch(new RegExp(`^MemTotal:\\s+${96 * 1024} kB$`));
    expect(await portHasPolicy(node.bridge, vethName(ctid))).toBe(true);
    expect(await sh('stat -c %u:%g /etc/passwd; touch /root/after-restore && stat -c %u /root/after-restore')).toBe('0:0\n0');
  }, 240_000);

  it('criu killed in the middle of a dump leaves the VE running, and the call says why', async () => {
    const pid = await loopPid();
    const bin = criuPath()!;
    // kill -9 the first criu this dump starts (polling /proc for its exe)
    let killed = false;
    const hunt = (async () => {
      for (const end = Date.now() + 20_000; !killed && Date.now() < end; await sleep(5)) {
        const r = await run('pgrep', ['-f', `^${bin} dump`], { allowFail: true });
        for (const p of r.stdout.split(/\s+/).filter(Boolean)) { try { process.kill(Number(p), 'SIGKILL'); killed = true; } catch { /* gone */ } }
      }
    })();
    await expect(checkpointVe(node, ctid, { stop: true })).rejects.toThrow(/checkpoint of VE \d+ failed/);
    await hunt;
    expect(killed).toBe(true);
    expect(await lxcState(ctid, vePaths(node.vzroot, ctid).lxcpath)).toBe('RUNNING');
    const c1 = await count();
    await sleep(500);
    expect(await count()).toBeGreaterThan(c1);
    expect(await loopPid()).toBe(pid);
  }, 240_000);

  it('checkpoint without stop leaves the VE running and writes a restorable dump', async () => {
    const before = await count();
    const ck = await checkpointVe(node, ctid, { stop: false });
    expect(ck.status).toBe('running');
    expect(existsSync(path.join(ck.file, 'inventory.img'))).toBe(true);
    await sleep(500);
    expect(await count()).toBeGreaterThan(before);
  }, 240_000);
});
