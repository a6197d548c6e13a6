// Density through the PANEL (issue 15): create and start the seed workload (busybox init, syslogd,
// crond, httpd) up to N VEs with the panel's create service and its task queue (requestCreateVe ->
// graphile-worker -> ve.create {start:true} on a real vzagentd), with raw LXC created and started in
// the same run at the same counts (interleaved: one panel VE, one raw VE). At each checkpoint: latency
// p50/p95 of the VEs since the last one, host memory per VE, agent and panel RSS and CPU, Postgres,
// the heartbeat pass (the node monitor's hello + node.info + DB write) and the reconciler's pass
// (delta and full), the bridges the agent uses, and the first limit hit.
//
// Run (shared box: at most --n 300):
//   npx tsx bench/density-panel.ts --n 300 --checkpoints 100,200,300
// --peer before: raw LXC alone to N first (same checkpoints), its containers removed, then the panel alone to N,
//   for counts the box cannot hold on both paths at once (past ~2,000 each on 2 cores: bench/README.md). Between
//   the phases it waits (at most 5 minutes) for the 1-minute load average to fall under --quiet-load (2.5).
// Options keep a run apart from other work: --net 80 (panel VEs in 10.199.80.0/20, one /24 pool each
//   250 VEs) --raw-net 96 (raw VEs in 10.199.96.0/20) --ctid-base 60000 --bridge-prefix vzdp
//   --tmp-prefix /tmp/vz-dp-. VZ_BRIDGE_PORT_LIMIT=<n> in the environment makes the agent use overflow
//   bridges past n ports (to see them at a small N).
// --trace K: after each checkpoint, K more VEs on that path under strace (the daemon for the panel, this process
//   for raw LXC), left out of the latency windows: each program's ms per VE, to see which step grows with the count.
// Each phase starts from dropped page caches, after waiting (at most 10 minutes) for the memory cgroups of removed
//   containers to go: thousands of dying memcgs slow the kernel's reclaim for the phase that comes after them.
// Every VE, mount, loop device, bridge, the daemon, the worker and Postgres go at the end and on Ctrl-C.
import './lib/quiet-log';
import { mkdtempSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '@/agents/src/sys/exec';
import { findTemplate } from '@/agents/src/templates/cache';
import { startNodeMonitor } from '@/server/operations/node-monitor';
import { reconcileNode } from '@/server/operations/reconciler';
import { startWorker } from '@/server/operations/worker';
import { createPool } from '@/server/services/ippools';
import type { PanelTestNode } from '@/test/fixtures/panel-node';
import { ipIn20, p50, p95, rawBridges } from './lib/density';
import { cpuMsWithChildren, hostUsedBytes, monitorsPss, MiB, rssBytes } from './lib/memory';
import { killAll, unmountUnder } from './lib/node';
import { panelBench } from './lib/panel-bench';
import { cpuOf, processTable } from './lib/proc-cpu';
import { rawCreate, rawStart } from './lib/raw-lxc';
import { parseArgs, round, table, timed } from './lib/stats';
import { traceExecSpans } from './lib/trace';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.n ?? 300);
const CHECKPOINTS = String(args.checkpoints ?? (N <= 300 ? '100,200,300' : '500,1000,2000,3000')).split(',').map(Number).filter((c) => c > 0 && c <= N);
if (!CHECKPOINTS.includes(N)) CHECKPOINTS.push(N);
const NET = Number(args.net ?? 80);
const RAW_NET = Number(args['raw-net'] ?? 96);
const CTID_BASE = Number(args['ctid-base'] ?? 60_000);
const PREFIX = String(args['bridge-prefix'] ?? 'vzdp');
const PEER = String(args.peer ?? 'interleaved');
if (PEER !== 'interleaved' && PEER !== 'before') throw new Error(`--peer ${PEER}: interleaved or before`);
const TRACE = Number(args.trace ?? 0);
const QUIET_LOAD = Number(args['quiet-load'] ?? 2.5);
const log = (s: string) => process.stderr.write(`${s}\n`);
const uptime = async () => (await run('uptime', [])).stdout.trim();
/** Memory cgroups the kernel holds, removed ones still charged with pages included (/proc/cgroups). */
const memcgs = async () => Number((await readFile('/proc/cgroups', 'utf8')).match(/^memory\s+\d+\s+(\d+)/m)?.[1] ?? NaN);
/** The programs that took the most time per VE in a trace: "lxc-start 120 ms/VE (1x)". */
const traceSummary = (spans: Map<string, number[]>, ves: number) => [...spans]
  .map(([prog, ms]) => ({ prog, total: ms.reduce((a, b) => a + b, 0), runs: ms.length }))
  .sort((a, b) => b.total - a.total).slice(0, 10)
  .map((x) => `${x.prog} ${round(x.total / ves, 0)} ms/VE (${round(x.runs / ves, 1)}x)`).join(', ');

const stopAll: (() => Promise<unknown>)[] = [];
const pgDir = mkdtempSync(`${String(args['tmp-prefix'] ?? '/tmp/vz-dp-')}pg-`);
let pn: PanelTestNode | undefined;
let rawLxc = '';
let raw: ReturnType<typeof rawBridges> | undefined;
let cleaned: Promise<void> | undefined;
// The create loop stops at the next VE once teardown begins, and teardown waits for the VE in flight.
let stopping = false;
let inFlight: Promise<unknown> = Promise.resolve();
const cleanup = () => (cleaned ??= (async () => {
  stopping = true;
  await inFlight.catch(() => undefined);
  log('cleaning up (every VE, mount, loop device and bridge this run made, the daemon, the worker, Postgres)...');
  for (const f of stopAll.splice(0)) await f().catch((e) => log(`cleanup: ${(e as Error).message}`));
  if (rawLxc) { await killAll(rawLxc); await unmountUnder(rawLxc); }
  await raw?.cleanup();
  // The agent's VEs in bulk first (six at a time, one pass over the mounts): the node's own teardown goes VE by VE.
  if (pn) { await killAll(path.join(pn.tn.vzroot, 'lxc')); await unmountUnder(pn.tn.vzroot); }
  await pn?.cleanup().catch((e) => log(`cleanup: ${(e as Error).message}`));
  await run('rm', ['-rf', pgDir], { allowFail: true });
})());
let signalled = false;
const onSignal = () => { if (!signalled) { signalled = true; void cleanup().finally(() => process.exit(130)); } };
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  const up0 = await uptime();
  const { url, prisma, node, nextTaskEvent } = await panelBench(pgDir, stopAll, { ...args, net: `10.199.${NET}` }, CTID_BASE, (n) => { pn = n; });
  // One /24 pool per 250 VEs (the fixture made the first): the panel's pools are /24s here.
  for (let k = 1; k * 250 < N + TRACE * CHECKPOINTS.length && k < 16; k++) {
    await createPool(prisma, { name: `density-${NET + k}`, cidr: `10.199.${NET + k}.0/24`, gateway: `10.199.${NET + k}.1`, nameservers: [], nodeIds: [node.node.id] });
  }
  // The plan's 64 MiB RAM and 64 MiB disk are limits, not use (~2.5 MiB and ~3 MiB per seed VE): overcommit
  // like an OpenVZ density node, so placement does not stop the run at RAM / 64 MiB VEs.
  await prisma.node.update({ where: { id: node.node.id }, data: { overcommitRam: 100, overcommitDisk: 100 } });
  const worker = await startWorker({ connectionString: url, prisma, concurrency: 4 });
  stopAll.unshift(() => worker.stop());
  const monitor = startNodeMonitor({ prisma, intervalMs: 24 * 3600_000 });
  stopAll.unshift(() => monitor.stop());
  await monitor.tick();

  rawLxc = path.join(node.tn.vzroot, 'raw');
  // The VEs' mapped root must traverse to the raw lxcpath (the agent's first create would do it for its vzroot).
  await chmod(node.tn.vzroot, 0o711);
  await mkdir(rawLxc, { mode: 0o711 });
  const rawBase = CTID_BASE + N + 10;
  // Raw id ranges from sub-id slot 12000 up (the agent hands out the lowest free slots from 0).
  raw = rawBridges({ lxcpath: rawLxc, tarball: (await findTemplate(node.tn.vzroot, 'busybox')).tarball, subidStart: 1_000_000 + (12_000 - (5000 + (rawBase - 20_000))) * 65_536 }, `${PREFIX}r`);
  const daemonPid = node.daemon.pid ?? 0;
  const pgPids = (await processTable()).filter((p) => p.cmd.includes(pgDir)).map((p) => p.pid);
  log(`panel node ${node.tn.vzroot}, bridge ${node.tn.bridge}, agent pid ${daemonPid}, ctids from ${CTID_BASE} (raw ${rawBase}); ${up0}`);

  const agentLxc = path.join(node.tn.vzroot, 'lxc');
  let baseUsed = await hostUsedBytes();
  const cpuNow = async () => ({ agent: await cpuMsWithChildren(daemonPid), panel: process.cpuUsage(), pg: await cpuOf((p) => pgPids.includes(p.pid)) });
  let cpu0 = await cpuNow();
  const rows: (string | number)[][] = [];
  const counters: (string | number)[][] = [];
  const bridgeRows: string[] = [];
  const traceRows: string[] = [];
  let extra = 0; // traced raw VEs: indices past N
  let firstLimit = '';
  const emptyWindow = () => ({ panel: [] as number[], run: [] as number[], req: [] as number[], wait: [] as number[], rawBoth: [] as number[], rawStart: [] as number[] });
  let win = emptyWindow();
  let panelUp = 0;
  let rawUp = 0;

  const panelOne = async (): Promise<void> => {
    const t0 = Date.now();
    const r = await node.createVe({ hostname: `dp${CTID_BASE + panelUp}.test` });
    const t1 = Date.now();
    for (;;) {
      const t = await prisma.task.findUnique({ where: { id: r.taskId } });
      if (t && ['succeeded', 'failed', 'cancelled'].includes(t.status)) {
        if (t.status !== 'succeeded') throw new Error(`panel VE ${r.ctid}: task ${t.status}: ${t.errorCode} ${t.error}`);
        win.panel.push(t.finishedAt!.getTime() - t0);
        win.run.push(t.finishedAt!.getTime() - t.startedAt!.getTime());
        win.req.push(t1 - t0);
        win.wait.push(t.startedAt!.getTime() - t1);
        return;
      }
      await nextTaskEvent();
    }
  };
  const rawOne = async (i: number): Promise<void> => {
    const peer = await raw!.peer(i);
    const [, createMs] = await timed(() => rawCreate(peer, rawBase + i, ipIn20(RAW_NET, i)));
    const [, startMs] = await timed(() => rawStart(peer, rawBase + i));
    win.rawBoth.push(createMs + startMs);
    win.rawStart.push(startMs);
  };

  // --peer before: the raw path's figures at each count, from its own phase (box memory per VE its own too).
  const rawAt = new Map<number, { up: number; p50: number; p95: number; startP95: number; mib: number; mon: number }>();
  const rawCheckpoint = async (count: number) => {
    const used = (await hostUsedBytes()) - baseUsed;
    const rMon = await monitorsPss(rawLxc);
    rawAt.set(count, { up: rawUp, p50: p50(win.rawBoth), p95: p95(win.rawBoth), startP95: p95(win.rawStart), mib: round(used / MiB / Math.max(1, rawUp)), mon: round(rMon.bytes / MiB / Math.max(1, rMon.count)) });
    log(`raw checkpoint ${count}: p50 ${p50(win.rawBoth)} / p95 ${p95(win.rawBoth)} ms; memcgs ${await memcgs()}; ${await uptime()}`);
    win = emptyWindow();
    await traceAfter('raw', count);
  };

  const checkpoint = async (count: number) => {
    const used = (await hostUsedBytes()) - baseUsed;
    const r = rawAt.get(count);
    const [, beatMs] = await timed(() => monitor.tick());
    // A pass that fails (e.g. ve.list past the client's 30 s read timeout) is a limit hit, not the end of the run.
    const soft = (full: boolean) => reconcileNode(prisma, node.node.id, undefined, { full }).catch((e: Error) => {
      firstLimit ||= `reconcile ${full ? 'full ' : ''}pass at ${count} VEs: ${e.message.split('\n')[0]}`;
      return null;
    });
    const [delta, deltaMs] = await timed(() => soft(false));
    const [full, fullMs] = await timed(() => soft(true));
    const info = (await prisma.node.findUnique({ where: { id: node.node.id } }))?.info as { density?: { bridges?: { name: string; ports: number; vePorts: number }[] } } | null;
    const bridges = (info?.density?.bridges ?? []).map((b) => `${b.name} ${b.vePorts} VEs/${b.ports} ports`).join(', ');
    const [aMon, rMon] = [await monitorsPss(agentLxc), await monitorsPss(rawLxc)];
    const pc = process.cpuUsage(cpu0.panel);
    const rawP95 = r ? r.p95 : p95(win.rawBoth);
    const ratio = p95(win.panel) / rawP95;
    rows.push([count, panelUp, p50(win.panel), p95(win.panel), p50(win.req), p50(win.wait), p50(win.run),
      ...(r ? [r.up, r.p50, r.p95, r.startP95] : [rawUp, p50(win.rawBoth), p95(win.rawBoth), p95(win.rawStart)]), round(ratio),
      r ? `${round(used / MiB / Math.max(1, panelUp))} / ${r.mib}` : round(used / MiB / Math.max(1, panelUp + rawUp)),
      round(aMon.bytes / MiB / Math.max(1, aMon.count)), r ? r.mon : round(rMon.bytes / MiB / Math.max(1, rMon.count))]);
    counters.push([count, round((await rssBytes(daemonPid)) / MiB, 1), round(((await cpuMsWithChildren(daemonPid)) - cpu0.agent) / Math.max(1, panelUp)),
      round(process.memoryUsage().rss / MiB, 1), round((pc.user + pc.system) / 1000 / Math.max(1, panelUp)),
      round((await cpuOf((p) => pgPids.includes(p.pid)) - cpu0.pg) / Math.max(1, panelUp)), round(beatMs, 1), round(deltaMs, 1), round(fullMs, 1),
      // Of each pass: the node's ve.list / the panel's own reads, comparison and writes.
      delta ? `${delta.ms.node} / ${delta.ms.panel}` : '-', full ? `${full.ms.node} / ${full.ms.panel}` : '-', delta?.checked ?? '-', delta?.skipped.length ?? '-']);
    bridgeRows.push(`${count}: ${bridges || '(not reported)'}`);
    log(`checkpoint ${count}: panel p95 ${p95(win.panel)} ms vs raw ${rawP95} ms (${round(ratio)}x); heartbeat ${round(beatMs)} ms, reconcile ${round(deltaMs)} / full ${round(fullMs)} ms; ${bridges}; memcgs ${await memcgs()}; ${await uptime()}`);
    win = emptyWindow();
    await traceAfter('panel', count);
  };

  // --trace: TRACE more VEs on one path under strace (the daemon and its spawn helper, forked at its start and so not
  // followed from the daemon, for the panel; this process for raw LXC), kept out of the checkpoint's window.
  const traceAfter = async (which: 'panel' | 'raw', count: number) => {
    if (!TRACE) return;
    const pids = which === 'raw' ? [process.pid] : [daemonPid, ...(await processTable()).filter((p) => p.ppid === daemonPid).map((p) => p.pid)];
    const spans = await traceExecSpans(pids, path.join(node.tn.vzroot, `trace-${which}`), async () => {
      for (let j = 0; j < TRACE; j++) await one(which, which === 'raw' ? N + extra++ : -1);
    });
    const took = which === 'raw' ? `create+start p50 ${p50(win.rawBoth)}` : `task run p50 ${p50(win.run)}`;
    traceRows.push(`${which} ${count}: ${took} ms under strace; ${traceSummary(spans, TRACE)}`);
    win = emptyWindow();
  };

  // Page caches dropped, then a wait (at most 10 minutes) for the load and for the memory cgroups to fall back to the first phase's count.
  let memcgFloor: number | undefined;
  const settle = async (label: string) => {
    await run('sync', []);
    await writeFile('/proc/sys/vm/drop_caches', '3');
    const floor = (memcgFloor ??= await memcgs());
    for (let t = 0; t < 120 && !stopping && (os.loadavg()[0] > QUIET_LOAD || (await memcgs()) > floor + 50); t++) await new Promise((res) => setTimeout(res, 5000));
    const line = `${label}: memcgs ${await memcgs()}; ${await uptime()}`;
    log(line);
    traceRows.push(line);
  };

  const failed = { panel: 0, raw: 0 };
  const one = async (which: 'panel' | 'raw', i: number) => {
    if (stopping) return;
    try {
      const op = which === 'panel' ? panelOne() : rawOne(i);
      inFlight = op;
      await op;
      if (which === 'panel') panelUp++; else rawUp++;
    } catch (e) {
      failed[which]++;
      const limit = `${which} VE #${(which === 'panel' ? panelUp : rawUp) + 1}: ${(e as Error).message.split('\n')[0]}`;
      firstLimit ||= limit;
      log(`limit: ${limit}`);
    }
  };

  if (PEER === 'before') {
    await settle('raw phase');
    for (let i = 0; i < N && !stopping && failed.raw < 3; i++) {
      await one('raw', i);
      if (CHECKPOINTS.includes(i + 1)) await rawCheckpoint(i + 1);
    }
    log(`removing the raw peer's ${rawUp} containers before the panel phase...`);
    await killAll(rawLxc);
    await unmountUnder(rawLxc);
    await raw.cleanup();
    await run('rm', ['-rf', rawLxc]);
    // The panel phase starts on a box as quiet as the raw phase's (a mass kill leaves a load spike and dying memcgs).
    await settle('panel phase');
    baseUsed = await hostUsedBytes();
    cpu0 = await cpuNow();
    for (let i = 0; i < N && !stopping && failed.panel < 3; i++) {
      await one('panel', i);
      if (CHECKPOINTS.includes(i + 1)) await checkpoint(i + 1);
    }
  } else {
    for (let i = 0; i < N && !stopping; i++) {
      for (const which of i % 2 ? ['raw', 'panel'] as const : ['panel', 'raw'] as const) await one(which, i);
      if (firstLimit && panelUp + rawUp < 2 * (i + 1) - 4) break; // both paths failing repeatedly: stop
      if (CHECKPOINTS.includes(i + 1)) await checkpoint(i + 1);
    }
  }

  const up1 = await uptime();
  const head = `## bench/density-panel.ts --n ${N} (${new Date().toISOString()}; ${os.release()}, ${os.cpus().length} cores)\nload at start: ${up0}\nload at end:   ${up1}`;
  const t1 = table(['VEs each', 'panel up', 'panel p50', 'panel p95', 'request p50', 'queue wait p50', 'task run p50', 'raw up', 'raw p50', 'raw p95', 'raw start p95', 'p95 x', 'MiB/VE box', 'agent mon MiB', 'raw mon MiB'], rows);
  const t2 = table(['VEs each', 'agentd RSS MiB', 'agentd CPU ms/VE', 'panel RSS MiB', 'panel CPU ms/VE', 'postgres CPU ms/VE', 'heartbeat ms', 'reconcile ms', 'reconcile full ms', 'delta node/panel ms', 'full node/panel ms', 'delta checked', 'skipped'], counters);
  const notes = [
    'panel = request (requestCreateVe) to the ve.create task finished (create+start through the queue and the agent), one VE at a time;',
    'request = requestCreateVe (placement, ctid, addresses, row, task, job); queue wait = request answered to task started;',
    'task run = the task\'s own running time; raw = untar + lxc-start -d of the same tarball (raw start = lxc-start -d alone);',
    'p95 x = panel p95 / raw create+start p95; MiB/VE box = host MemTotal-MemAvailable growth / VEs of both paths;',
    ...(PEER === 'before' ? ['--peer before: raw LXC ran alone to N first, then its containers were removed and the panel ran alone to N; "MiB/VE box" is panel / raw, each its own phase\'s growth;'] : []),
    'panel RSS/CPU = this process (create service, worker, node monitor, reconciler and the bench harness);',
    'heartbeat = one node-monitor pass (hello + node.info + DB write); reconcile = one reconcileNode pass (delta), then a full one.',
  ];
  const out = [head, '', ...notes, '', t1, '', t2, '', `bridges (node.info): ${bridgeRows.join('; ')}`, ...(traceRows.length ? ['', ...traceRows] : []), `first limit hit: ${firstLimit || (stopping ? `none before the run was stopped (signal) at ${panelUp} panel VEs` : 'none up to the count asked')}`].join('\n');
  console.log(`\n${out}`);
  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const file = path.join(import.meta.dirname, 'results', `density-panel-${N}-${date}.json`);
  await writeFile(file, JSON.stringify({ bench: 'density-panel', command: `npx tsx bench/density-panel.ts ${process.argv.slice(2).join(' ')}`.trim(), env: { VZ_BRIDGE_PORT_LIMIT: process.env.VZ_BRIDGE_PORT_LIMIT ?? null }, uptime: [up0, up1], rows, counters, bridges: bridgeRows, traces: traceRows, firstLimit, text: out }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
} finally {
  await cleanup();
}
