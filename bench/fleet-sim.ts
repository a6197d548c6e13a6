// Issue 15: the node monitor and the reconciler at fleet size, against simulated nodes: fake agents
// (test/fixtures/fake-agent.ts: the real protocol, no containers), each with --ves VEs that the
// panel's rows match, reached over their unix sockets: `--transport socket` (default) connects
// directly (server/nodes/socket.ts, no process per node, so 200 nodes fit on one machine);
// `--transport bridge` goes through the local transport's `vzagent rpc` bridge process per node.
// Times a monitor pass (hello + node.info on every node, rows written) and a reconcile pass
// (ve.list on every node, compared with the Ve rows) over --rounds rounds.
// Usage: npx tsx bench/fleet-sim.ts [--nodes 20] [--ves 100] [--rounds 5] [--transport socket|bridge]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flag } from '@/agents/src/daemon/config';
import { startFakeAgent, type FakeAgent } from '@/test/fixtures/fake-agent';
import { startNodeMonitor } from '@/server/operations/node-monitor';
import { startReconciler } from '@/server/operations/reconciler';
import { closeAll, type NodeSpec } from '@/server/nodes/pool';
import type { Node } from '@/server/db/client';
import { benchDatabase, runBench } from './lib/db';
import { median, now, percentile, round } from './lib/stats';

const nNodes = Number(flag(process.argv, 'nodes') ?? 20);
const nVes = Number(flag(process.argv, 'ves') ?? 100);
const rounds = Number(flag(process.argv, 'rounds') ?? 5);
const transport = flag(process.argv, 'transport') ?? 'socket';
if (transport !== 'socket' && transport !== 'bridge') throw new Error(`--transport must be socket or bridge, got ${transport}`);
// Bridge: the node rows' own spec (local transport). Socket: the same daemon socket, no bridge process.
const specFor = transport === 'socket' ? (n: Node): NodeSpec => ({ transport: 'socket', socket: path.join(n.vzroot!, 'run', 'vzagentd.sock') }) : undefined;
const stopAll: Array<() => Promise<unknown>> = [];
// Under $TMPDIR, so parallel sessions can keep their scratch apart.
const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-sim-'));
const pgDir = mkdtempSync(path.join(os.tmpdir(), 'fleet-sim-pg-'));

async function main() {
  const { prisma } = await benchDatabase(pgDir, stopAll, 20);
  const tpl = await prisma.template.create({ data: { name: 'fleet-sim-tpl', os: 'debian', version: '12', arch: 'x86_64', sizeBytes: 1n, sha256: '0'.repeat(64) } });
  const agents: FakeAgent[] = [];
  stopAll.unshift(() => closeAll(), () => Promise.all(agents.map((a) => a.close())));
  for (let n = 0; n < nNodes; n++) {
    const vzroot = path.join(dir, `node${n}`);
    const ves = Array.from({ length: nVes }, (_, i) => ({ ctid: 100_000 + n * nVes + i, hostname: `sim${n}-${i}.test`, status: 'running' as const }));
    agents.push(await startFakeAgent({ vzroot, ves }));
    const node = await prisma.node.create({ data: { name: `sim-${n}`, address: '127.0.0.1', transport: 'local', vzroot, state: 'online', lastSeenAt: new Date() } });
    await prisma.ve.createMany({ data: ves.map((v) => ({ ctid: v.ctid, hostname: v.hostname, nodeId: node.id, templateId: tpl.id, state: 'running' as const, limits: { ram: 1024, diskspace: 10240 } })) });
  }
  console.log(`${nNodes} simulated nodes, ${nVes} VEs each (${nNodes * nVes} VEs), transport ${transport}; load average ${os.loadavg().map((x) => round(x)).join(' ')}`);
  // Long intervals: the bench drives the passes itself.
  const monitor = startNodeMonitor({ prisma, intervalMs: 3_600_000, callTimeoutMs: 60_000, specFor });
  const reconciler = startReconciler({ prisma, intervalMs: 3_600_000, specFor });
  stopAll.unshift(() => monitor.stop(), () => reconciler.stop());
  const mon: number[] = [];
  const rec: number[] = [];
  let issues = 0;
  for (let r = 0; r < rounds; r++) {
    let t0 = now();
    await monitor.tick();
    mon.push(now() - t0);
    t0 = now();
    const res = await reconciler.tick();
    rec.push(now() - t0);
    issues += res.reduce((s, x) => s + x.issues.length + x.corrected.length, 0);
    console.log(`round ${r + 1}: monitor pass ${round(mon.at(-1)!)} ms, reconcile pass ${round(rec.at(-1)!)} ms (${res.length} nodes reconciled)`);
  }
  const online = await prisma.node.count({ where: { state: 'online' } });
  const out = {
    command: `npx tsx bench/fleet-sim.ts ${process.argv.slice(2).join(' ')}`.trim(), transport, loadAverage: os.loadavg(),
    nodes: nNodes, vesPerNode: nVes, rounds, onlineAfter: online, driftFound: issues,
    // The first round opens every node's connection (spawns its bridge): reported apart.
    monitorFirstMs: round(mon[0]), monitorMedianMs: round(median(mon.slice(1))), monitorP95Ms: round(percentile(mon.slice(1), 95)),
    reconcileFirstMs: round(rec[0]), reconcileMedianMs: round(median(rec.slice(1))), reconcileP95Ms: round(percentile(rec.slice(1), 95)),
  };
  console.log(JSON.stringify(out, null, 2));
  const resDir = path.resolve(import.meta.dirname, 'results');
  mkdirSync(resDir, { recursive: true });
  const file = path.join(resDir, `fleet-sim-${nNodes}x${nVes}-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(`written ${path.relative(process.cwd(), file)}`);
}

runBench(main, stopAll, [dir, pgDir]);
