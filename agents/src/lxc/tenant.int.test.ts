// A hostile tenant (root inside its VE) against the node: what it does inside must not reach the host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONSOLE_LOG_MAX } from '../config/lxc-config';
import { vePaths } from '../sys/paths';
import { withUndo } from '../sys/undo';
import { createVe } from './create';
import { execInVe } from './exec';
import { lxcState } from './lxc-cli';
import { startVe } from './power';
import { setVe } from './set';
import { makeTestNode, type TestNode } from './test-env';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let node: TestNode;
let a: number;
const sh = (script: string, timeoutSec = 60) => execInVe(node, { ctid: a, script, timeoutSec });

beforeAll(async () => {
  node = await makeTestNode({ ctidBase: 7300, ctidCount: 100, bridgePrefix: 'tntbr', net: '10.199.73', tmpPrefix: '/tmp/tnt-rt-' });
  a = node.ctid();
  await withUndo((u) => createVe(node, {
    ctid: a, ostemplate: 'busybox', hostname: 'tenant.test', ips: [node.ip()], ram: 128 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 8192,
  }, u));
  await startVe(node, a);
});

afterAll(async () => {
  await node?.cleanup();
});

describe('a tenant flooding its console', () => {
  it('cannot grow the host-side console log past its cap', async () => {
    const log = path.join(vePaths(node.vzroot, a).lxcDir, 'console.log');
    const flood = sh('yes > /dev/console & p=$!; sleep 10; kill $p; wait $p; true', 30);
    let max = 0;
    let wraps = 0;
    let last = 0;
    let done = false;
    void flood.finally(() => { done = true; });
    while (!done) {
      const st = statSync(log);
      const size = Math.max(st.size, st.blocks * 512);
      if (size < last) wraps++;
      max = Math.max(max, size);
      last = size;
      await sleep(50);
    }
    expect((await flood).exitCode).toBe(0);
    // The flood really wrote more than the cap (the file was cut back), and the file never held more.
    expect(max).toBeLessThanOrEqual(CONSOLE_LOG_MAX);
    expect(wraps).toBeGreaterThan(0);
  }, 60_000);
});

describe('a tenant swapping /etc for a symlink while the state probe fails', () => {
  it('never makes the agent write outside the VE', async () => {
    const p = vePaths(node.vzroot, a);
    // Where the tenant points its /etc. A symlink to / would make the host write /hostname; a
    // canary folder shows the same escape without touching the host's root.
    const canary = mkdtempSync('/tmp/tnt-escape-');
    const config = readFileSync(p.lxcConfig, 'utf8');
    try {
      // The tenant flips /etc between its real folder and a symlink to the canary, as fast as busybox can.
      await sh([
        `ln -s ${canary} /etc.evil`,
        'rm -f /flip.stop',
        '(while [ ! -e /flip.stop ]; do mv /etc /etc.real; mv /etc.evil /etc; mv /etc /etc.evil; mv /etc.real /etc; done) </dev/null >/dev/null 2>&1 &',
      ].join('\n'));
      // A config lxc cannot load makes lxc-info fail for real (as a half-written config or a full disk would).
      appendFileSync(p.lxcConfig, 'lxc.not.a.key = 1\n');
      expect(await lxcState(a, p.lxcpath)).toBe('UNKNOWN');

      const outcomes = new Set<string>();
      for (let i = 0, end = Date.now() + 15_000; i < 60 && Date.now() < end; i++) {
        // Each set re-renders the LXC config (a good one): break it again for the next attempt.
        appendFileSync(p.lxcConfig, 'lxc.not.a.key = 1\n');
        const r = await setVe(node, { ctid: a, hostname: `owned${i}.test`, nameservers: ['10.199.73.1'] }).then(() => 'done', (e: { code?: string }) => e.code ?? 'error');
        outcomes.add(r);
        expect(readdirSync(canary)).toEqual([]);
      }
      // Failing closed: refused as "not confirmed stopped", never written through the host mount.
      expect([...outcomes]).toEqual(['VE_RUNNING']);
    } finally {
      writeFileSync(p.lxcConfig, config);
      await sh('touch /flip.stop; sleep 1; rm -f /flip.stop', 30).catch(() => undefined);
      rmSync(canary, { recursive: true, force: true });
    }
    // The VE still works and its own /etc is intact.
    expect((await sh('cat /etc/hostname')).stdout.trim()).toBe('tenant.test');
  }, 90_000);
});
