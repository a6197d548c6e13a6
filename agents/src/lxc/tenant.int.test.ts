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
import { spawn } from 'node:child_process';
import { macForCtid, vethName } from '../config/schema';
import { linkLocalOf, nftTable, portHasPolicy, removePortPolicy } from '../net/antispoof';
import { refreshPortPolicies } from './onboot';
import { run } from '../sys/exec';
import { veStatus } from './power';

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
  await withUndo((u) => startVe(node, a, u));
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
        const r = await withUndo((u) => setVe(node, { ctid: a, hostname: `owned${i}.test`, nameservers: ['10.199.73.1'] }, u)).then(() => 'done', (e: { code?: string }) => e.code ?? 'error');
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

describe('a tenant spoofing neighbours and routers on the shared bridge', () => {
  const FRAMES = path.resolve(import.meta.dirname, '../../../test/fixtures/frames.py');
  const NET6 = 'fd00:199:73::';
  const gw6 = `${NET6}1`;
  let victim: { ctid: number; pid: number; mac: string; ip6: string };
  let attacker: { ctid: number; pid: number; mac: string; ll: string };
  const inNs = async (pid: number, argv: string[]) => (await run('nsenter', ['-t', String(pid), '-n', '--', ...argv], { timeoutMs: 30_000 })).stdout;
  const frames = (pid: number, args: string[]) => inNs(pid, ['/usr/bin/python3', FRAMES, ...args]);
  const ping6 = async (ctid: number, addr: string) => {
    const r = await execInVe(node, { ctid, command: ['ping', '-6', '-c', '1', '-W', '5', addr], timeoutSec: 20 });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  };

  beforeAll(async () => {
    node.networks = [...(node.networks ?? []), `${NET6}/64`];
    // The node's own address on the bridge is the VEs' IPv6 neighbour (their gateway, say).
    await run('ip', ['-6', 'addr', 'add', `${gw6}/64`, 'dev', node.bridge, 'nodad']);
    const make = async (n: number) => {
      const ctid = node.ctid();
      await withUndo((u) => createVe(node, {
        ctid, ostemplate: 'busybox', hostname: `v6-${n}.test`, ips: [node.ip(), `${NET6}${n}/64`], ram: 64 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 8192,
      }, u));
      const st = await withUndo((u) => startVe(node, ctid, u));
      return { ctid, pid: st.pid ?? (await veStatus(node, ctid)).pid!, mac: macForCtid(ctid) };
    };
    const v = await make(2);
    const a = await make(3);
    victim = { ...v, ip6: `${NET6}2` };
    attacker = { ...a, ll: linkLocalOf(a.mac) };
    // The victim knows the gateway's real MAC, and the attacker's link-local address is the kernel's.
    // A VE's new IPv6 address is tentative until duplicate-address detection ends (slower on a busy host): retry.
    for (let i = 0; ; i++) {
      const r = await execInVe(node, { ctid: victim.ctid, command: ['ping', '-6', '-c', '1', '-W', '2', gw6], timeoutSec: 10 });
      if (r.exitCode === 0) break;
      if (i >= 15) await ping6(victim.ctid, gw6); // the last try reports the failure
      await sleep(1000);
    }
    expect(await inNs(attacker.pid, ['ip', '-6', 'addr', 'show', 'dev', 'eth0'])).toContain(attacker.ll);
  }, 120_000);

  it('does not let a router advertisement change the victim\'s routes or addresses', async () => {
    await frames(attacker.pid, ['ra', attacker.mac, attacker.ll, 'fd00:bad::']);
    await sleep(1500);
    const routes = await inNs(victim.pid, ['ip', '-6', 'route', 'show']);
    expect(routes).not.toMatch(/default|fd00:bad/);
    expect(await inNs(victim.pid, ['ip', '-6', 'addr', 'show'])).not.toContain('fd00:bad');
  });

  it('does not let a neighbour advertisement for another address redirect the victim', async () => {
    const gwMac = readFileSync(`/sys/class/net/${node.bridge}/address`, 'utf8').trim();
    await frames(attacker.pid, ['na', attacker.mac, attacker.ll, victim.mac, victim.ip6, gw6]);
    await sleep(500);
    const entry = await inNs(victim.pid, ['ip', '-6', 'neigh', 'show', gw6, 'dev', 'eth0']);
    expect(entry).toContain(gwMac);
    expect(entry).not.toContain(attacker.mac);
    // Its own addresses still resolve: IPv6 between the two VEs works.
    await ping6(victim.ctid, `${NET6}3`);
  });

  it('does not forward VLAN-tagged frames from a VE port', async () => {
    const listen = (marker: string) => new Promise<number>((resolve, reject) => {
      const p = spawn('nsenter', ['-t', String(victim.pid), '-n', '--', '/usr/bin/python3', FRAMES, 'listen', '3', marker]);
      let out = '';
      p.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.startsWith('ready\n') && !out.includes('sent')) {
          out += 'sent';
          void frames(attacker.pid, [marker.startsWith('tag') ? 'tagged' : 'plain', attacker.mac, victim.mac, marker]).catch(reject);
        }
      });
      p.on('error', reject);
      p.on('close', () => resolve(Number(out.replace('ready\n', '').replace('sent', '').trim())));
    });
    // The same frame untagged arrives (the listener hears it); tagged, it does not.
    expect(await listen('plain-vzpanel-7f3a')).toBeGreaterThan(0);
    expect(await listen('tagged-vzpanel-7f3a')).toBe(0);
  });

  it('brings the filter of a VE that started under an older agent up to date when the agent starts', async () => {
    const t = nftTable(node.bridge);
    const old = `vzas_${node.bridge.replace(/-/g, '_')}`;
    const veth = vethName(attacker.ctid);
    const pre = ['list', 'chain', 'bridge', t, 'pre'];
    // What an older agent left: the port only in the first layout's table (a chain per port, source
    // checks only), and this table's chain without the IPv6 and VLAN drops.
    await removePortPolicy(node.bridge, veth);
    await run('nft', ['-f', '-'], { input: [
      `table bridge ${old} { map ports { type ifname : verdict; }; chain pre { type filter hook prerouting priority -200; policy accept; iifname vmap @ports; }; }`,
      `add chain bridge ${old} port_${veth}`,
      `add rule bridge ${old} port_${veth} ether saddr != ${attacker.mac} drop`,
      `add element bridge ${old} ports { "${veth}" : jump port_${veth} }`,
      `flush chain bridge ${t} pre`,
      `add rule bridge ${t} pre iifname != @guarded accept`,
      `add rule bridge ${t} pre iifname . ether saddr != @pmac drop`,
      '',
    ].join('\n') });
    expect(await portHasPolicy(node.bridge, veth)).toBe(false);
    expect((await run('nft', pre)).stdout).not.toContain('nd-router-advert');

    expect(await refreshPortPolicies(node)).toEqual([]);
    expect(await portHasPolicy(node.bridge, veth)).toBe(true);
    expect((await run('nft', pre)).stdout).toMatch(/8021q[\s\S]*nd-router-advert/);
    expect((await run('nft', ['list', 'tables', 'bridge'])).stdout).not.toContain(old);
    // The victim's port kept its policy through the refresh, and a router advertisement is still dropped.
    expect(await portHasPolicy(node.bridge, vethName(victim.ctid))).toBe(true);
    await frames(attacker.pid, ['ra', attacker.mac, attacker.ll, 'fd00:bad2::']);
    await sleep(1500);
    expect(await inNs(victim.pid, ['ip', '-6', 'route', 'show'])).not.toMatch(/fd00:bad2/);
  });
});
