// Processes `vzctl exec` starts inside a VE lead a session inside it (issue 13): CRIU refuses to
// dump a VE holding a process whose session leader is outside its pid namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestNode, type TestNode } from './test-env';
import { createVe } from './create';
import { startVe } from './power';
import { execInVe } from './exec';
import { withUndo } from '../sys/undo';

const MiB = 1024 * 1024;
let node: TestNode;
let ctid: number;

beforeAll(async () => {
  node = await makeTestNode({ ctidBase: 28100, ctidCount: 100, bridgePrefix: 'vzcri', net: '10.199.128', tmpPrefix: '/var/tmp/cri-exec-' });
  ctid = node.ctid();
  await withUndo((u) => createVe(node, { ctid, ostemplate: 'busybox', hostname: 'sess.test', ips: [node.ip()], ram: 64 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 8192 }, u));
  await withUndo((u) => startVe(node, ctid, u));
}, 180_000);

afterAll(async () => {
  await node?.cleanup();
}, 120_000);

// Inside the VE a session id from outside its pid namespace reads as 0.
const sidOf = async (pid: string) => (await execInVe(node, { ctid, command: ['cut', '-d', ' ', '-f', '6', `/proc/${pid}/stat`] })).stdout.trim();

describe('vzctl exec inside a VE', () => {
  it('runs a command as the leader of its own session inside the VE, with its exit code and output', async () => {
    const r = await execInVe(node, { ctid, script: 'echo "me=$$ sid=$(cut -d" " -f6 /proc/$$/stat)"; exit 7' });
    expect(r.exitCode).toBe(7);
    const m = /me=(\d+) sid=(\d+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    // the shell under `timeout` is in the session setsid opened inside the VE (not 0 = outside)
    expect(Number(m![2])).toBeGreaterThan(0);
  });

  it('leaves a background process behind in a session inside the VE', async () => {
    const r = await execInVe(node, { ctid, script: 'sleep 300 </dev/null >/dev/null 2>&1 & echo $!' });
    const pid = r.stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    const sid = await sidOf(pid);
    expect(Number(sid)).toBeGreaterThan(0);
    expect((await execInVe(node, { ctid, command: ['kill', pid] })).exitCode).toBe(0);
  });
});
