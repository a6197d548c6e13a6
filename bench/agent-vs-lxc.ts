// Agent vs raw LXC in ONE run on the same busybox template: create+start (1 VE, N serial, N k-parallel),
// host memory per running VE beyond its cgroup, CPU-bound work inside a VE vs on the host.
// Run: npx tsx bench/agent-vs-lxc.ts [--n 50] [--reps 5] [--batch-reps 3] [--par 4] [--cpu-reps 5] [--mode auto|rpc|library]
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '@/agents/src/sys/exec';
import { openAgentPath, type Marks } from './lib/agent';
import { runBatch, type BatchResult, type PathOps } from './lib/batch';
import { cpuInContainer, cpuOnHost, CPU_SCRIPT, type CpuSample } from './lib/cpu';
import { childrenMatching, cpuMsWithChildren, MiB } from './lib/memory';
import { makeBenchNode } from './lib/node';
import { RAW_DIFFERENCES, rawCreate, rawDestroy, rawStart, rawStop, type RawPeer } from './lib/raw-lxc';
import { median, parseArgs, round, table, timed } from './lib/stats';
import { phaseBreakdown } from './lib/phases';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.n ?? 50);
const REPS = Number(args.reps ?? 5);
const PAR = Number(args.par ?? 4);
const CPU_REPS = Number(args['cpu-reps'] ?? 5);
const BATCH_REPS = Number(args['batch-reps'] ?? 3);
const MODE = args.mode === 'rpc' || args.mode === 'library' ? args.mode : undefined;
const NAME = String(args.name ?? 'agent-vs-lxc');
const log = (s: string) => process.stderr.write(`${s}\n`);

const initPid = async (lxcpath: string, ctid: number) =>
  Number((await run('lxc-info', ['-n', String(ctid), '-P', lxcpath, '-pH'], { allowFail: true })).stdout.trim());

const uptime = (await run('uptime', [])).stdout.trim();
const node = await makeBenchNode({ maxCtids: 3 * (REPS + 1) + 4 * N * BATCH_REPS + 2 + 8 });
log(`bench node ${node.vzroot}, bridge ${node.bridge}; ${uptime}`);
try {
  const agent = await openAgentPath(node, { force: MODE });
  log(`agent path: ${agent.mode} (${agent.why}); daemon pid ${agent.daemon.pid}; ${agent.bundle}`);
  const peer: RawPeer = { lxcpath: node.rawLxcpath, tarball: node.template.tarball, bridge: node.bridge };
  const agentLxc = path.join(node.vzroot, 'lxc');
  const raw: PathOps = {
    name: 'raw', lxcpath: peer.lxcpath,
    create: (c, ip) => rawCreate(peer, c, ip), start: (c) => rawStart(peer, c),
    stop: (c) => rawStop(peer, c), destroy: (c) => rawDestroy(peer, c), initPid: (c) => initPid(peer.lxcpath, c),
    cpuMs: () => cpuMsWithChildren('self'),
  };
  // Agent work runs in the daemon (and its children) plus the `vzagent rpc` bridge and this client.
  const bridges = await childrenMatching(process.pid, 'vzagent');
  const agentCpuMs = async () => {
    let sum = await cpuMsWithChildren('self');
    for (const pid of [agent.daemon.pid ?? 0, ...bridges]) if (pid) sum += await cpuMsWithChildren(pid);
    return sum;
  };
  const marks = { create: [] as Marks[], start: [] as Marks[], oneCall: [] as Marks[], batch: [] as Marks[] };
  const ag: PathOps = {
    name: 'agent', lxcpath: agentLxc, daemonPid: agent.mode === 'rpc' ? agent.daemon.pid : undefined,
    create: async (c, ip) => void marks.create.push(await agent.create(c, ip)),
    start: async (c) => void marks.start.push(await agent.start(c)),
    stop: (c) => agent.stop(c), destroy: (c) => agent.destroy(c), initPid: (c) => initPid(agentLxc, c),
    cpuMs: agentCpuMs,
  };
  // The panel's create task sends one ve.create with start:true; batches go that way.
  const agPanel: PathOps = { ...ag, createStarted: async (c, ip) => void marks.batch.push(await agent.createStarted(c, ip)) };

  // Singles: create, start, force stop, destroy (and the agent's one-call create+start), alternating order.
  type Series = { create: number[]; start: number[]; pair: number[]; oneCall: number[]; stop: number[]; destroy: number[] };
  const empty = (): Series => ({ create: [], start: [], pair: [], oneCall: [], stop: [], destroy: [] });
  const single: Record<'raw' | 'agent', Series> = { raw: empty(), agent: empty() };
  const ctidsSingle = node.ctids(3 * (REPS + 1));
  for (let r = 0; r <= REPS; r++) {
    for (const p of r % 2 ? [ag, raw] : [raw, ag]) {
      const c = ctidsSingle[3 * r + (p === raw ? 0 : 1)];
      const [, tc] = await timed(() => p.create(c, node.ip(0)));
      const [, ts] = await timed(() => p.start(c));
      if (!((await p.initPid(c)) > 0)) throw new Error(`${p.name} VE ${c} is not running after start`);
      const [, tk] = await timed(() => p.stop(c));
      const [, td] = await timed(() => p.destroy(c));
      if (r === 0) continue; // warm-up round (page cache, first nft table, daemon JIT)
      const s = single[p.name];
      s.create.push(tc); s.start.push(ts); s.pair.push(tc + ts); s.stop.push(tk); s.destroy.push(td);
    }
    const c1 = ctidsSingle[3 * r + 2];
    const [m1, t1] = await timed(() => agent.createStarted(c1, node.ip(0)));
    await agent.stop(c1); await agent.destroy(c1);
    if (r > 0) { single.agent.oneCall.push(t1); marks.oneCall.push(m1); }
    log(`single ${r}/${REPS}: raw ${round(single.raw.pair.at(-1) ?? NaN, 0)} ms, agent ${round(single.agent.pair.at(-1) ?? NaN, 0)} ms (two calls), ${round(t1, 0)} ms (one call)`);
  }
  marks.create.shift(); marks.start.shift(); // drop the warm-up

  // Batches in ABBA order so drift of the shared machine hits both paths alike.
  const batches: BatchResult[] = [];
  const batchMarks: Record<string, Marks[]> = {};
  for (let rep = 0; rep < BATCH_REPS; rep++) for (const [p, k] of [[raw, 1], [agPanel, 1], [agPanel, PAR], [raw, PAR]] as [PathOps, number][]) {
    marks.batch = [];
    // Teardown 4 at a time whatever the create concurrency: it is not a measured figure.
    const b = await runBatch(p, node.ctids(N), node.ip, k, PAR);
    batches.push(b);
    if (p === agPanel) (batchMarks[`x${k}`] ??= []).push(...marks.batch);
    log(`${rep + 1}/${BATCH_REPS} ${p.name} x${N} at ${k}: ${round(b.totalMs / 1000)} s, cpu ${round(b.cpuMsPerVe, 0)} ms/VE, teardown ${round(b.teardownMs / 1000)} s`);
  }

  // CPU: one raw VE and one agent VE running; host / raw / agent interleaved.
  const [cr, ca] = node.ctids(2);
  await raw.create(cr, node.ip(0)); await raw.start(cr);
  await ag.create(ca, node.ip(1)); await ag.start(ca);
  const cpu: Record<'host' | 'raw' | 'agent', CpuSample[]> = { host: [], raw: [], agent: [] };
  for (let r = 0; r < CPU_REPS; r++) {
    cpu.host.push(await cpuOnHost());
    cpu.raw.push(await cpuInContainer(peer.lxcpath, cr));
    cpu.agent.push(await cpuInContainer(agentLxc, ca));
    log(`cpu ${r + 1}/${CPU_REPS}: host ${cpu.host.at(-1)!.wallS} s, raw ${cpu.raw.at(-1)!.wallS} s, agent ${cpu.agent.at(-1)!.wallS} s`);
  }
  await raw.stop(cr); await raw.destroy(cr); await ag.stop(ca); await ag.destroy(ca);
  await agent.close();

  // ---- report ----
  const m = (xs: number[]) => median(xs);
  // The batch with the median total of its kind (the lower one for an even count).
  const bOf = (pathName: string, k: number) => {
    const l = batches.filter((b) => b.path === pathName && b.concurrency === k).sort((a, b) => a.totalMs - b.totalMs);
    return l[(l.length - 1) >> 1];
  };
  const ratio = (a: number, b: number) => a / b;
  const rows: (string | number)[][] = [];
  const goalTime = (r: number) => (r <= 1.25 ? 'ok (<=1.25x)' : 'MISSED (<=1.25x)');
  const addTime = (label: string, rawMs: number, agMs: number, goal = true) =>
    rows.push([label, round(rawMs, 1), round(agMs, 1), round(ratio(agMs, rawMs)), goal ? goalTime(ratio(agMs, rawMs)) : 'info']);
  addTime('create 1 VE, ms (median)', m(single.raw.create), m(single.agent.create), false);
  addTime('start 1 VE, ms (median)', m(single.raw.start), m(single.agent.start), false);
  addTime('create+start 1 VE, two calls, ms (median)', m(single.raw.pair), m(single.agent.pair));
  addTime('create+start 1 VE, one ve.create start:true, ms', m(single.raw.pair), m(single.agent.oneCall));
  addTime(`create+start ${N} serial, s total (median of ${BATCH_REPS})`, bOf('raw', 1).totalMs / 1000, bOf('agent', 1).totalMs / 1000);
  addTime(`create+start ${N} at ${PAR} parallel, s total (median of ${BATCH_REPS})`, bOf('raw', PAR).totalMs / 1000, bOf('agent', PAR).totalMs / 1000);
  addTime('force stop 1 VE, ms (median)', m(single.raw.stop), m(single.agent.stop), false);
  addTime('destroy 1 VE, ms (median)', m(single.raw.destroy), m(single.agent.destroy), false);
  rows.push([`host CPU per create+start (${N} serial), ms`, round(bOf('raw', 1).cpuMsPerVe, 1), round(bOf('agent', 1).cpuMsPerVe, 1),
    round(bOf('agent', 1).cpuMsPerVe / bOf('raw', 1).cpuMsPerVe), 'info (why parallel scales less)']);
  rows.push([`host CPU per create+start (${PAR} parallel), ms`, round(bOf('raw', PAR).cpuMsPerVe, 1), round(bOf('agent', PAR).cpuMsPerVe, 1),
    round(bOf('agent', PAR).cpuMsPerVe / bOf('raw', PAR).cpuMsPerVe), 'info']);
  // Memory from the FIRST serial batch of each path: the daemon's heap grows there, later batches reuse it.
  const firstOf = (name: string) => batches.find((b) => b.path === name && b.concurrency === 1)!;
  const memRaw = firstOf('raw').memory;
  const memAg = firstOf('agent').memory;
  const agentPerVe = memAg.monitorPssPerVe + Math.max(0, memAg.daemonGrowthPerVe ?? 0);
  rows.push(['monitor PSS per running VE, MiB', round(memRaw.monitorPssPerVe / MiB, 3), round(memAg.monitorPssPerVe / MiB, 3), round(ratio(memAg.monitorPssPerVe, memRaw.monitorPssPerVe)), 'info']);
  rows.push(['agent daemon RSS growth / N, MiB', '-', memAg.daemonGrowthPerVe === undefined ? 'n/a (library mode)' : round(memAg.daemonGrowthPerVe / MiB, 3), '-', 'info']);
  rows.push(['host memory per VE beyond its cgroup, MiB', round(memRaw.monitorPssPerVe / MiB, 3), round(agentPerVe / MiB, 3), '-', agentPerVe <= MiB ? 'ok (<=1 MiB)' : 'MISSED (<=1 MiB)']);
  rows.push(['VE memory cgroup (median), MiB', round(memRaw.cgroupMedian / MiB, 3), round(memAg.cgroupMedian / MiB, 3), '-', 'info']);
  rows.push(['whole-box MemAvailable drop / N, MiB', round(memRaw.hostUsedDeltaPerVe / MiB, 3), round(memAg.hostUsedDeltaPerVe / MiB, 3), '-', 'info (noisy)']);
  const speed = (k: 'raw' | 'agent') => m(cpu.host.map((s) => s.wallS)) / m(cpu[k].map((s) => s.wallS));
  const cpuRatio = (k: 'raw' | 'agent') => m(cpu.host.map((s) => s.cpuS)) / m(cpu[k].map((s) => s.cpuS));
  rows.push(['CPU work speed vs host (wall), x', round(speed('raw'), 3), round(speed('agent'), 3), '-', speed('agent') >= 0.99 ? 'ok (>=0.99)' : 'MISSED (>=0.99)']);
  rows.push(['CPU work speed vs host (cpu time), x', round(cpuRatio('raw'), 3), round(cpuRatio('agent'), 3), '-', 'info']);

  const phases = {
    singleCreate: phaseBreakdown(marks.create), singleStart: phaseBreakdown(marks.start), singleOneCall: phaseBreakdown(marks.oneCall),
    batchSerial: phaseBreakdown(batchMarks.x1 ?? []), batchParallel: phaseBreakdown(batchMarks[`x${PAR}`] ?? []),
  };
  console.log(`\nagent-vs-lxc: N=${N}, reps=${REPS}, parallel=${PAR}, agent path=${agent.mode} (${agent.why})`);
  console.log(`agent bundle: ${agent.bundle}`);
  console.log(`machine: ${os.cpus().length} cpus, ${round(os.totalmem() / 2 ** 30, 1)} GiB; ${uptime}\n`);
  console.log(table(['figure', 'raw LXC', 'agent', 'agent/raw', 'goal'], rows));
  const show = (title: string, rowsIn: [string, number][]) => console.log(`\n${title}\n${table(['phase (from progress marks)', 'ms'], rowsIn.map(([k, v]) => [k, round(v, 1)]))}`);
  show(`agent ve.create (single, median of ${REPS}):`, phases.singleCreate);
  show(`agent ve.start (single, median of ${REPS}):`, phases.singleStart);
  const par = new Map(phases.batchParallel);
  console.log(`\nagent ve.create start:true, ${N} VEs (median per VE, ms):\n${table(['phase (from progress marks)', 'serial', `${PAR} parallel`],
    phases.batchSerial.map(([k, v]) => [k, round(v, 1), round(par.get(k) ?? NaN, 1)]))}`);
  console.log('\nwhat the raw peer does not do:\n' + RAW_DIFFERENCES.map((d) => `- ${d}`).join('\n'));

  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const out = path.join(import.meta.dirname, 'results', `${NAME}-${date}.json`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({
    bench: 'agent-vs-lxc', date: new Date().toISOString(), command: `npx tsx bench/agent-vs-lxc.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, memBytes: os.totalmem(), kernel: os.release(), uptime },
    params: { n: N, reps: REPS, batchReps: BATCH_REPS, parallel: PAR, cpuReps: CPU_REPS, agentMode: agent.mode, agentModeWhy: agent.why, agentBundle: agent.bundle, cpuScript: CPU_SCRIPT },
    goals: { timeRatioMax: 1.25, hostMemPerVeMaxBytes: MiB, cpuSpeedMin: 0.99 },
    table: rows, single, batches, cpu, phases, rawDifferences: RAW_DIFFERENCES,
  }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
} finally {
  await node.cleanup();
}
