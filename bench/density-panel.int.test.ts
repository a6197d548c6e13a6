// The density code paths at CI size (issue 15; bench/density-panel.ts measures up to 3,000): 40 real
// VEs created and started through the panel (create service -> graphile-worker -> vzagentd -> LXC) on
// a node whose bridges take 16 ports (VZ_BRIDGE_PORT_LIMIT), so the agent spreads them over the main
// bridge and overflow bridges. Asserts every VE runs, node.info reports each bridge's VEs, a VE on an
// overflow bridge reaches one on the main bridge, the reconciler's delta and full passes find nothing
// to correct, and once every VE is stopped through the panel the overflow bridges are gone.
// No timing assertions.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { closeAll } from '@/server/nodes/pool';
import { startNodeMonitor, type NodeMonitor } from '@/server/operations/node-monitor';
import { reconcileNode } from '@/server/operations/reconciler';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { enqueueTask } from '@/server/services/tasks/enqueue';

const sh = promisify(execFile);
const VES = 40;
const PORTS = 16;

let db: TestDatabase;
let N: PanelTestNode;
let worker: PanelWorker | undefined;
let monitor: NodeMonitor | undefined;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  N = await makePanelTestNode(db.prisma, {
    names: { ctidBase: 86_000, ctidCount: 500, bridgePrefix: 'vzdn', net: '10.199.86', tmpPrefix: '/tmp/vz-dn-' },
    daemonEnv: { VZ_BRIDGE_PORT_LIMIT: String(PORTS), VZ_BRIDGE_OVERFLOWS: '4' },
  });
  // The plan's limits are not use: overcommit like a density node so placement takes all 40.
  await db.prisma.node.update({ where: { id: N.node.id }, data: { overcommitRam: 100, overcommitDisk: 100 } });
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 4 });
  monitor = startNodeMonitor({ prisma: db.prisma, intervalMs: 24 * 3600_000 });
}, 180_000);

afterAll(async () => {
  await monitor?.stop();
  await worker?.stop();
  await closeAll();
  await N?.cleanup();
  await db?.drop();
});

interface BridgeFact { name: string; role: string; ports: number; vePorts: number; limit: number }
const bridgeFacts = async (): Promise<BridgeFact[]> => {
  await monitor!.tick();
  const info = (await db.prisma.node.findUniqueOrThrow({ where: { id: N.node.id } })).info as { density?: { bridges?: BridgeFact[] } };
  return info.density?.bridges ?? [];
};
const linkOf = (ctid: number) => /^lxc\.net\.0\.link\s*=\s*(\S+)/m.exec(readFileSync(path.join(N.tn.vzroot, 'lxc', String(ctid), 'config'), 'utf8'))?.[1];

describe('40 VEs through the panel on bridges of 16 ports', () => {
  it('all run, spread over overflow bridges that reach the main one; reconcile finds no drift; stopping them all removes the overflow bridges', { timeout: 600_000 }, async () => {
    const ves: Awaited<ReturnType<PanelTestNode['createVe']>>[] = [];
    for (let i = 0; i < VES; i++) ves.push(await N.createVe({ hostname: `dn${i}.test` }));
    const created = await waitTasksDone(db.prisma, ves.map((v) => v.taskId), 480_000);
    expect(created.filter((t) => t.status !== 'succeeded').map((t) => `${t.ctid}: ${t.errorCode} ${t.error}`)).toEqual([]);
    const { ves: listed } = await N.agent().call('ve.list', {});
    expect(listed.filter((v) => ves.some((x) => x.ctid === v.ctid) && v.status === 'running')).toHaveLength(VES);

    const facts = await bridgeFacts();
    const main = facts.find((b) => b.role === 'main');
    expect(main?.name).toBe(N.tn.bridge);
    const overflow = facts.filter((b) => b.role !== 'main');
    expect(overflow.length).toBeGreaterThanOrEqual(2);
    expect(facts.reduce((n, b) => n + b.vePorts, 0)).toBe(VES);
    for (const b of facts) expect(b.ports, b.name).toBeLessThanOrEqual(PORTS);
    // Each VE's conf names the bridge the facts count it on.
    const byLink = new Map<string, number>();
    for (const v of ves) byLink.set(linkOf(v.ctid)!, (byLink.get(linkOf(v.ctid)!) ?? 0) + 1);
    expect(Object.fromEntries(byLink)).toEqual(Object.fromEntries(facts.filter((b) => b.vePorts > 0).map((b) => [b.name, b.vePorts])));

    // One L2 segment: the last VE (an overflow bridge) pings the first (the main bridge).
    const [first, last] = [ves[0], ves[VES - 1]];
    expect(linkOf(first.ctid)).toBe(N.tn.bridge);
    expect(linkOf(last.ctid)).not.toBe(N.tn.bridge);
    const ping = await sh('lxc-attach', ['-n', String(last.ctid), '-P', path.join(N.tn.vzroot, 'lxc'), '--', 'ping', '-c', '1', '-W', '3', first.addresses[0]]);
    expect(ping.stdout).toMatch(/1 packets received/);

    const delta = (await reconcileNode(db.prisma, N.node.id))!;
    const full = (await reconcileNode(db.prisma, N.node.id, undefined, { full: true }))!;
    expect(delta.corrected).toEqual([]);
    expect(full.corrected).toEqual([]);
    expect(await db.prisma.reconcileIssue.count({ where: { nodeId: N.node.id, resolvedAt: null } })).toBe(0);

    const stops = await Promise.all(ves.map((v) => enqueueTask(db.prisma, { type: 've.stop', params: { timeoutSec: 2 }, veId: v.veId, ctid: v.ctid, nodeId: N.node.id })));
    const stopped = await waitTasksDone(db.prisma, stops.map((t) => t.id), 480_000);
    expect(stopped.filter((t) => t.status !== 'succeeded').map((t) => `${t.ctid}: ${t.errorCode} ${t.error}`)).toEqual([]);
    expect(await db.prisma.ve.count({ where: { id: { in: ves.map((v) => v.veId) }, state: 'stopped' } })).toBe(VES);
    expect((await reconcileNode(db.prisma, N.node.id, undefined, { full: true }))!.corrected).toEqual([]);
    // Empty overflow bridges go: only the main bridge is left, on the host and in the facts.
    expect((await bridgeFacts()).map((b) => [b.name, b.vePorts])).toEqual([[N.tn.bridge, 0]]);
    for (const b of overflow) await expect(sh('ip', ['link', 'show', b.name])).rejects.toThrow();
  });
});
