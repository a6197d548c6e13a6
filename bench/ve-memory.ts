// Host memory per running VE beyond its own cgroup (issue 15), agent vs raw LXC in one run.
// Steps of N VEs alternate: agent, raw, agent, raw, ... (all stay running). After each step:
// two usage-sampler passes and a full ve.list, then a forced GC in the daemon (test.memory,
// VZ_AGENT_TEST_HANDLERS=1) so its growth counts only state it still holds, not heap the
// collector has not reclaimed yet. Per step and path, per VE: [lxc monitor] PSS, the daemon's
// heap and RSS after GC and its open fds, and the kernel's own memory (/proc/meminfo slab,
// kernel stacks, page tables, per-cpu) with the slab caches and kernel threads that grew.
// The first agent step includes one-time warm-up (code, caches); the summary uses later steps.
// A last churn step creates and destroys N agent VEs: what the daemon keeps after it is the
// cost of the work (allocator high-water, compiled code), not of VEs that exist.
//
//   flock /work/bench.lock npx tsx bench/ve-memory.ts [--n 60] [--pairs 3] [--par 4] [--snapshots DIR] [--daemon-env K=V,...]
// --snapshots writes daemon heap snapshots after every agent step (diff: bench/lib/heap-diff.ts).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteBridge, ensureBridge } from '@/agents/src/net/bridge';
import { hostFacts } from '@/agents/src/lxc/host-facts';
import { CgroupReader, payloadNames } from '@/agents/src/metrics/cgroup';
import { makeExt4, mountImage, unmountImage } from '@/agents/src/storage/image';
import { run } from '@/agents/src/sys/exec';
import { withUndo } from '@/agents/src/sys/undo';
import { AgentClient } from '@/server/nodes/client';
import { LocalTransport } from '@/server/nodes/local';
import { freezeAgentBundle, startDaemon } from './lib/agent';
import { diff, kernelSnapshot, meminfo, slabs, top, type KernelSnapshot } from './lib/kmem';
import { MiB, monitorsPss } from './lib/memory';
import { makeBenchNode } from './lib/node';
import { rawCreate, rawStart, type RawPeer } from './lib/raw-lxc';
import { median, parseArgs, pool, round, table } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.n ?? 60);
const PAIRS = Number(args.pairs ?? 3);
const PAR = Number(args.par ?? 4);
const SNAP = typeof args.snapshots === 'string' ? path.resolve(args.snapshots) : undefined;
const INTERVAL_MS = 3000;
// --daemon-env K=V[,K=V]: extra environment for the daemon (e.g. allocator tunables to compare).
const DAEMON_ENV = Object.fromEntries(String(args['daemon-env'] ?? '').split(',').filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
if (!(N > 0 && PAIRS >= 2 && N * (PAIRS + 1) <= 250)) throw new Error('need --n > 0, --pairs >= 2 and n x (pairs + 1) <= 250 (one /24 per path, and a churn step)');
const log = (s: string) => process.stderr.write(`${s}\n`);
const KiB = 1024;

const node = await makeBenchNode({ maxCtids: 2 * N * (PAIRS + 1) + 10 });
const uptime0 = (await run('uptime', [])).stdout.trim();
log(`bench node ${node.vzroot}; ${uptime0}`);
// Agent VEs on the node's bridge in 10.199.174.0/24; raw VEs on a bridge of their own with the same addresses (separate L2).
await run('ip', ['addr', 'add', '10.199.174.1/24', 'dev', node.bridge], { allowFail: true });
const rawBridge = `vzh174r${randomBytes(2).toString('hex')}`;
node.onCleanup(() => deleteBridge(rawBridge));
await ensureBridge(rawBridge);
const ipOf = (i: number) => `10.199.174.${2 + i}/24`;
const peer: RawPeer = { lxcpath: node.rawLxcpath, tarball: node.template.tarball, bridge: rawBridge };

const bundle = await freezeAgentBundle(node);
const daemon = await startDaemon(node, bundle, { ...DAEMON_ENV, VZ_AGENT_TEST_HANDLERS: '1', VZ_USAGE_INTERVAL_MS: String(INTERVAL_MS) });
const agent = new AgentClient(new LocalTransport({ socket: daemon.socket, agentBin: path.join(bundle.bin, 'vzagent') }), { node: 'h174-mem' });
node.onCleanup(() => agent.close());
const agentLxc = path.join(node.vzroot, 'lxc');
const ctids = node.ctids(2 * N * (PAIRS + 1));
node.onCleanup(async () => {
  // Stop every VE 8 at a time first: the node's own sweep stops them one by one.
  await pool(ctids, 8, async (c) => {
    for (const p of [agentLxc, node.rawLxcpath]) await run('lxc-stop', ['-n', String(c), '-P', p, '-k'], { allowFail: true, timeoutMs: 30_000 });
  });
});

interface Point {
  label: string; agentUp: number; rawUp: number;
  daemon: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; fds: number };
  kernel: KernelSnapshot;
  monitors: { agent: { count: number; bytes: number }; raw: { count: number; bytes: number } };
}

let agentUp = 0;
let rawUp = 0;
async function measure(label: string): Promise<Point> {
  await sleep(2 * INTERVAL_MS + 500); // two sampler passes have seen every VE
  await agent.call('node.info', {}); // the heartbeat
  await agent.call('ve.list', {}); // the reconciler's full pass: the change feed holds every VE
  const snapshot = SNAP ? path.join(SNAP, `${label}.heapsnapshot`) : undefined;
  const m = await agent.call('test.memory', { gc: true, snapshot });
  const [kernel, ma, mr] = await Promise.all([kernelSnapshot(), monitorsPss(agentLxc), monitorsPss(node.rawLxcpath)]);
  const { gc: _gc, snapshot: _s, ...daemonMem } = m;
  log(`${label}: agent ${agentUp}, raw ${rawUp}; daemon heap ${round(m.heapUsed / MiB, 2)} MiB, rss ${round(m.rss / MiB, 1)} MiB, fds ${m.fds}; SUnreclaim ${round(kernel.meminfo.SUnreclaim / MiB, 1)} MiB`);
  return { label, agentUp, rawUp, daemon: daemonMem, kernel, monitors: { agent: ma, raw: mr } };
}

async function agentStep(slots: number[]): Promise<void> {
  await pool(slots, PAR, async (i) => {
    const ctid = ctids[2 * i];
    await agent.call('ve.create', {
      ctid, ostemplate: node.template.manifest.name, hostname: `h174m${ctid}`, ips: [ipOf(i)], gateway: '10.199.174.1', nameservers: ['10.199.174.1'], start: true,
    }, { opId: `h174-mem-${randomBytes(6).toString('hex')}` });
    agentUp++;
  });
}

async function rawStep(slots: number[]): Promise<void> {
  await pool(slots, PAR, async (i) => {
    const ctid = ctids[2 * i + 1];
    await rawCreate(peer, ctid, ipOf(i));
    await rawStart(peer, ctid);
    rawUp++;
  });
}

/** Per-VE growth of one step: what the path's N new VEs cost. */
function stepCost(path: 'agent' | 'raw', a: Point, b: Point) {
  const n = path === 'agent' ? b.agentUp - a.agentUp : b.rawUp - a.rawUp;
  const km = diff(a.kernel.meminfo, b.kernel.meminfo);
  const kernel = (km.SUnreclaim ?? 0) + (km.KernelStack ?? 0) + (km.PageTables ?? 0) + (km.Percpu ?? 0);
  const mon = b.monitors[path];
  return {
    path, step: b.label, n,
    monitorPss: mon.count ? mon.bytes / mon.count : NaN,
    daemonHeap: (b.daemon.heapUsed - a.daemon.heapUsed) / n,
    daemonRss: (b.daemon.rss - a.daemon.rss) / n,
    daemonExternal: (b.daemon.external - a.daemon.external) / n,
    daemonFds: (b.daemon.fds - a.daemon.fds) / n,
    kernel: kernel / n,
    meminfo: Object.fromEntries(Object.entries(km).map(([k, v]) => [k, v / n])),
    slabs: Object.fromEntries(top(diff(a.kernel.slabs, b.kernel.slabs), 12).map(([k, v]) => [k, v / n])),
    kthreads: Object.fromEntries(Object.entries(diff(a.kernel.kthreads, b.kernel.kthreads)).map(([k, v]) => [k, v / n])),
  };
}

/** Kernel memory of holding the usage sampler's counter files open, per VE, on the raw VEs' cgroups (the bench process holds them). */
async function heldFileCost(): Promise<{ vEs: number; fds: number; perVe: number; slabPerVe: Record<string, number> }> {
  const v2 = hostFacts().version === 'v2';
  const names = payloadNames(v2);
  const raw = ctids.filter((_, i) => i % 2 === 1 && names.has(ctids[i]));
  const reader = new CgroupReader(v2, 1 << 30);
  const [m0, s0] = [await meminfo(), await slabs()];
  for (const c of raw) reader.read(c, names.get(c)!);
  const [m1, s1] = [await meminfo(), await slabs()];
  const fds = reader.fdsHeld;
  reader.close();
  const held = (m1.SUnreclaim - m0.SUnreclaim) / Math.max(1, raw.length);
  return { vEs: raw.length, fds, perVe: held, slabPerVe: Object.fromEntries(top(diff(s0, s1), 6).map(([k, v]) => [k, v / Math.max(1, raw.length)])) };
}

/**
 * Kernel memory of the agent's storage alone: K images as the agent makes them (2 GiB sparse, ext4,
 * 200,000 inodes), each on a loop device and mounted, against the same with none. Seconds, so
 * other work on the box moves it less than a whole step. Loop devices left free by earlier users
 * are reused (as on a node), so their queues may predate the measurement.
 */
async function storageCost(k: number): Promise<{ images: number; perImage: Record<string, number>; kthreads: Record<string, number> }> {
  const dir = path.join(node.vzroot, 'storage-probe');
  const imgs = Array.from({ length: k }, (_, i) => ({ image: path.join(dir, `${i}.img`), root: path.join(dir, `r${i}`) }));
  await mkdir(dir, { recursive: true });
  for (const x of imgs) await makeExt4(x.image, 2 * 1024 ** 3, 200_000);
  const before = await kernelSnapshot();
  try {
    for (const x of imgs) await withUndo((u) => mountImage(x.image, x.root, u, { fresh: true }));
    await sleep(1000);
    const after = await kernelSnapshot();
    const m = diff(before.meminfo, after.meminfo);
    return {
      images: k,
      perImage: Object.fromEntries(['SUnreclaim', 'KernelStack', 'PageTables', 'Percpu', 'SReclaimable', 'used'].map((f) => [f, (m[f] ?? 0) / k])),
      kthreads: Object.fromEntries(Object.entries(diff(before.kthreads, after.kthreads)).filter(([, v]) => Math.abs(v) >= k / 2).map(([n, v]) => [n, v / k])),
    };
  } finally {
    for (const x of imgs) await unmountImage(x.image, x.root).catch(() => undefined);
  }
}

try {
  if (SNAP) await mkdir(SNAP, { recursive: true });
  const storage = await storageCost(30);
  log(`storage: ${JSON.stringify(storage)}`);
  const points: Point[] = [await measure('start')];
  const steps: ReturnType<typeof stepCost>[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const slots = Array.from({ length: N }, (_, i) => p * N + i);
    log(`step ${2 * p + 1}: ${N} agent VEs`);
    await agentStep(slots);
    points.push(await measure(`agent-${agentUp}`));
    steps.push(stepCost('agent', points.at(-2)!, points.at(-1)!));
    log(`step ${2 * p + 2}: ${N} raw VEs`);
    await rawStep(slots);
    points.push(await measure(`raw-${rawUp}`));
    steps.push(stepCost('raw', points.at(-2)!, points.at(-1)!));
  }
  // Churn: N more agent VEs created, then stopped and destroyed. What the daemon keeps after that
  // is the cost of the work (allocator high-water, code), not of VEs that exist.
  const churnSlots = Array.from({ length: N }, (_, i) => PAIRS * N + i).filter((i) => i < 250);
  await agentStep(churnSlots);
  await pool(churnSlots, PAR, async (i) => {
    await agent.call('ve.stop', { ctid: ctids[2 * i], fast: true }, { opId: `h174-mem-${randomBytes(6).toString('hex')}` });
    await agent.call('ve.destroy', { ctid: ctids[2 * i] }, { opId: `h174-mem-${randomBytes(6).toString('hex')}` });
    agentUp--;
  });
  points.push(await measure(`churn-${churnSlots.length}`));
  const churn = stepCost('agent', points.at(-2)!, { ...points.at(-1)!, agentUp: points.at(-2)!.agentUp + churnSlots.length });
  const held = await heldFileCost();
  const uptime1 = (await run('uptime', [])).stdout.trim();

  const steady = (p: 'agent' | 'raw') => steps.filter((s) => s.path === p).slice(1);
  const med = (p: 'agent' | 'raw', f: (s: ReturnType<typeof stepCost>) => number) => median(steady(p).map(f));
  const first = steps[0];
  const mib = (x: number) => round(x / MiB, 3);
  const kib = (x: number) => round(x / KiB, 1);
  const last = points.at(-1)!;
  const monitorPss = { agent: last.monitors.agent.bytes / last.monitors.agent.count, raw: last.monitors.raw.bytes / last.monitors.raw.count };
  const issueFigure = (p: 'agent' | 'raw') => monitorPss[p] + (p === 'agent' ? Math.max(0, med(p, (s) => s.daemonRss)) : 0);
  const rows: (string | number)[][] = [
    // Both paths' monitors read at one moment with as many of each: shared pages split the same way.
    ['[lxc monitor] PSS per VE at the end, MiB', mib(monitorPss.raw), mib(monitorPss.agent), '-'],
    ['daemon heap after GC / VE, KiB', '-', kib(med('agent', (s) => s.daemonHeap)), `${kib(first.daemonHeap)} (${kib(med('raw', (s) => s.daemonHeap))} in raw steps)`],
    ['daemon RSS after GC / VE, KiB', '-', kib(med('agent', (s) => s.daemonRss)), `${kib(first.daemonRss)} (${kib(med('raw', (s) => s.daemonRss))} in raw steps)`],
    ['daemon external+buffers / VE, KiB', '-', kib(med('agent', (s) => s.daemonExternal)), kib(first.daemonExternal)],
    ['daemon open fds / VE', '-', round(med('agent', (s) => s.daemonFds), 2), round(first.daemonFds, 2)],
    ['monitor PSS + daemon RSS growth / VE, MiB (the issue\'s figure)', mib(issueFigure('raw')), mib(issueFigure('agent')), '-'],
    ['kernel: SUnreclaim+KernelStack+PageTables+Percpu / VE, KiB', kib(med('raw', (s) => s.kernel)), kib(med('agent', (s) => s.kernel)), kib(first.kernel)],
    ['kernel SReclaimable (dentries, inodes) / VE, KiB', kib(med('raw', (s) => s.meminfo.SReclaimable ?? 0)), kib(med('agent', (s) => s.meminfo.SReclaimable ?? 0)), kib(first.meminfo.SReclaimable ?? 0)],
    ['whole box MemTotal-MemAvailable / VE, MiB (noisy)', mib(med('raw', (s) => s.meminfo.used ?? 0)), mib(med('agent', (s) => s.meminfo.used ?? 0)), mib(first.meminfo.used ?? 0)],
    [`daemon after ${churn.n} more created and destroyed: heap / RSS growth per VE, KiB`, '-', `${kib(churn.daemonHeap)} / ${kib(churn.daemonRss)}`, '-'],
    [`agent storage alone (${storage.images} ext4 images on loop, mounted): SUnreclaim+KernelStack / image, KiB`, '-', kib((storage.perImage.SUnreclaim ?? 0) + (storage.perImage.KernelStack ?? 0)), '-'],
    [`sampler's held counter files: SUnreclaim / VE, KiB (${held.vEs} VEs, ${held.fds} fds)`, '-', kib(held.perVe), '-'],
  ];
  console.log(`\n## bench/ve-memory.ts --n ${N} --pairs ${PAIRS} --par ${PAR} (${new Date().toISOString()})`);
  console.log(`machine: ${os.cpus().length} cpus, ${round(os.totalmem() / 2 ** 30, 1)} GiB, kernel ${os.release()}; before: ${uptime0}; after: ${uptime1}`);
  console.log(`agent bundle: ${bundle.note}; daemon env: ${JSON.stringify(DAEMON_ENV)}\nmedian of steps 2..${PAIRS} of each path (${N} VEs each); the last column is the first agent step (warm-up included)\n`);
  console.log(table(['figure', 'raw LXC', 'agent', 'first agent step'], rows));
  console.log('\nper step, per VE (KiB unless noted):');
  console.log(table(['step', 'path', 'monitor PSS', 'daemon heap', 'daemon RSS', 'fds', 'kernel', 'SReclaimable'],
    steps.map((s) => [s.step, s.path, kib(s.monitorPss), kib(s.daemonHeap), kib(s.daemonRss), round(s.daemonFds, 2), kib(s.kernel), kib(s.meminfo.SReclaimable ?? 0)])));
  const slabNames = [...new Set(steps.flatMap((s) => Object.keys(s.slabs)))];
  const slabOf = (p: 'agent' | 'raw', k: string) => med(p, (s) => s.slabs[k] ?? 0);
  console.log('\nslab caches that grew, bytes per VE (median of steady steps):');
  console.log(table(['cache', 'raw', 'agent'], slabNames.map((k) => [k, round(slabOf('raw', k), 0), round(slabOf('agent', k), 0)]).sort((a, b) => Number(b[2]) - Number(a[2])).slice(0, 14)));
  const kinds = [...new Set(steps.flatMap((s) => Object.keys(s.kthreads)))];
  console.log('\nkernel threads per VE (median of steady steps):');
  console.log(table(['kind', 'raw', 'agent'], kinds.map((k) => [k, round(med('raw', (s) => s.kthreads[k] ?? 0), 2), round(med('agent', (s) => s.kthreads[k] ?? 0), 2)])));

  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const out = path.join(import.meta.dirname, 'results', `ve-memory-${date}.json`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({
    bench: 've-memory', date: new Date().toISOString(), command: `npx tsx bench/ve-memory.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, memBytes: os.totalmem(), kernel: os.release(), uptimeBefore: uptime0, uptimeAfter: uptime1 },
    params: { n: N, pairs: PAIRS, par: PAR, samplerIntervalMs: INTERVAL_MS, daemonEnv: DAEMON_ENV, agentBundle: bundle.note },
    table: rows, monitorPssAtEnd: monitorPss, steps, churn, heldFiles: held, storage,
    points: points.map((p) => ({ ...p, kernel: { meminfo: p.kernel.meminfo, kthreads: p.kernel.kthreads } })),
  }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
} finally {
  log('cleaning up (every VE, mount, loop device and bridge this run made)...');
  await node.cleanup();
}
