// Overflow bridges on the real host, with the per-bridge limit cut to 3 ports: VEs past it land on
// bridges linked to the main one, reach each other and the host across them, keep their spoofing
// filter, give ports back on stop and destroy, and the node's teardown leaves no bridge or veth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { vethName } from '../config/schema';
import { createVe } from '../lxc/create';
import { destroyVe } from '../lxc/destroy';
import { execInVe } from '../lxc/exec';
import { startVe, stopVe } from '../lxc/power';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { densityFacts } from '../setup/density';
import { run } from '../sys/exec';
import { withUndo } from '../sys/undo';
import { portHasPolicy } from './antispoof';
import { bridgeUsage, linkNames, overflowName } from './overflow';

const MiB = 1024 * 1024;
const HOST = '10.199.208.1';
let node: TestNode;
const ves: { ctid: number; ip: string }[] = [];
const env = { VZ_BRIDGE_PORT_LIMIT: process.env.VZ_BRIDGE_PORT_LIMIT, VZ_BRIDGE_OVERFLOWS: process.env.VZ_BRIDGE_OVERFLOWS };

const masterOf = async (ctid: number) => path.basename(await readlink(`/sys/class/net/${vethName(ctid)}/master`));
const ifaces = async () => readdir('/sys/class/net');
const ping = (from: number, to: string) => execInVe(node, { ctid: from, command: ['ping', '-c', '2', '-W', '3', to], timeoutSec: 30 });
const make = async () => {
  const ctid = node.ctid();
  const ip = node.ip();
  await withUndo((u) => createVe(node, { ctid, ostemplate: 'busybox', hostname: `h176-${ctid}.test`, ips: [ip], ram: 64 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 8192 }, u));
  ves.push({ ctid, ip: ip.split('/')[0] });
  return ctid;
};

beforeAll(async () => {
  // 3 ports per bridge, at most 2 overflow bridges: main holds 1 VE + 2 links, each overflow 2 VEs + its link.
  process.env.VZ_BRIDGE_PORT_LIMIT = '3';
  process.env.VZ_BRIDGE_OVERFLOWS = '2';
  node = await makeTestNode({ ctidBase: 40000, ctidCount: 500, bridgePrefix: 'vzh176', net: '10.199.208', tmpPrefix: '/tmp/h176-ovf-' });
  await run('ip', ['addr', 'add', `${HOST}/24`, 'dev', node.bridge]);
}, 180_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  await node?.cleanup();
});

describe('overflow bridges past the per-bridge port limit', () => {
  it('put VEs past the limit on overflow bridges made on demand, reported as node facts', { timeout: 300_000 }, async () => {
    for (let i = 0; i < 5; i++) await withUndo(async (u) => startVe(node, await make(), u));
    const [o1, o2] = [overflowName(node.bridge, 1), overflowName(node.bridge, 2)];
    expect(await Promise.all(ves.map((v) => masterOf(v.ctid)))).toEqual([node.bridge, o1, o1, o2, o2]);
    // Links: one veth pair per overflow bridge, the `m` end on the main bridge.
    expect((await readdir(`/sys/class/net/${node.bridge}/brif`)).sort()).toEqual([vethName(ves[0].ctid), linkNames(node.bridge, 1).main, linkNames(node.bridge, 2).main].sort());
    const f = await densityFacts(node.bridge, 5);
    expect(f.bridges).toEqual([
      { name: node.bridge, role: 'main', ports: 3, vePorts: 1, limit: 3 },
      { name: o1, role: 'overflow', ports: 3, vePorts: 2, limit: 3 },
      { name: o2, role: 'overflow', ports: 3, vePorts: 2, limit: 3 },
    ]);
    expect(f.settings.find((s) => s.key === 'bridge.ports')).toMatchObject({ value: 5, needed: 5, enough: true });
    expect((await densityFacts(node.bridge, 6)).settings.find((s) => s.key === 'bridge.ports')?.enough).toBe(false);
    // The spoofing filter is installed for a port on an overflow bridge too.
    expect(await portHasPolicy(node.bridge, vethName(ves[4].ctid))).toBe(true);
  });

  it('lets VEs on different bridges reach each other and the host, and still drops a spoofed source', { timeout: 180_000 }, async () => {
    const [main, a1, , b1] = ves;
    for (const [from, to] of [[main.ctid, b1.ip], [a1.ctid, b1.ip], [b1.ctid, main.ip], [b1.ctid, HOST], [a1.ctid, HOST]] as const) {
      const r = await ping(from, to);
      expect(r.exitCode, `${from} -> ${to}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const spoof = await execInVe(node, { ctid: b1.ctid, script: `ip addr add 10.199.208.250/24 dev eth0; ping -c 2 -W 1 -I 10.199.208.250 ${a1.ip}; echo rc=$?; ip addr del 10.199.208.250/24 dev eth0`, timeoutSec: 30 });
    expect(spoof.stdout).toMatch(/rc=1/);
  });

  it('refuses the VE past every bridge with BRIDGE_FULL, and takes it once stops give ports back', { timeout: 300_000 }, async () => {
    const extra = await make();
    await expect(withUndo((u) => startVe(node, extra, u))).rejects.toMatchObject({ code: 'UNSUPPORTED', data: { reason: 'BRIDGE_FULL' }, message: expect.stringMatching(/its 2 overflow bridges are full \(2 allowed\)/) });
    // Both VEs of the second overflow bridge stop: it is empty, so it and its link go.
    const o2 = overflowName(node.bridge, 2);
    for (const v of ves.slice(3, 5)) await stopVe(node, v.ctid, { fast: true });
    expect(await ifaces()).not.toContain(o2);
    expect(await ifaces()).not.toContain(linkNames(node.bridge, 2).main);
    // The refused VE now starts: the bridge is made again and links back to the main one.
    await withUndo((u) => startVe(node, extra, u));
    expect(await masterOf(extra)).toBe(o2);
    expect((await ping(extra, ves[0].ip)).exitCode).toBe(0);
  });

  it('gives the port back on stop + destroy, and the node teardown leaves no bridge or link', { timeout: 300_000 }, async () => {
    const o1 = overflowName(node.bridge, 1);
    await stopVe(node, ves[1].ctid, { fast: true });
    await destroyVe(node, ves[1].ctid);
    expect((await bridgeUsage(node.bridge)).find((b) => b.name === o1)).toMatchObject({ ports: 2, vePorts: 1 });
    await node.cleanup();
    const left = (await ifaces()).filter((n) => n.startsWith(node.bridge) || ves.some((v) => n === vethName(v.ctid)));
    expect(left).toEqual([]);
    const tables = (await run('nft', ['list', 'tables'])).stdout;
    expect(tables).not.toContain(node.bridge);
  });
});
