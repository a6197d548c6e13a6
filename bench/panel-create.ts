// Issue 4: create+start of N VEs through the panel (request -> task queued -> VE running) vs plain
// LXC create+start of the same busybox template, in ONE run. Prints the panel's overhead per VE.
// Run: npx tsx bench/panel-create.ts [--n 50] [--reps 5] [--batch-reps 2] [--concurrency 4]
//   [--net 10.199.120] [--raw-net 10.199.40] [--ctid-base 80000] [--bridge-prefix vzrt] [--tmp-prefix /tmp/vz-rt-]
//   (the last five keep parallel runs of other work apart; defaults are random as before)
import { mkdtempSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { run } from '@/agents/src/sys/exec';
import { findTemplate } from '@/agents/src/templates/cache';
import { panelBench } from './lib/panel-bench';
import { startWorker } from '@/server/operations/worker';
import type { PanelTestNode } from '@/test/fixtures/panel-node';
import { killAll, unmountUnder } from './lib/node';
import { RAW_DIFFERENCES, rawCreate, rawDestroy, rawInitPid, rawStart, rawStop, type RawPeer } from './lib/raw-lxc';
import { median, now, parseArgs, percentile, pool, round, table } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.n ?? 50);
const REPS = Number(args.reps ?? 5);
const BATCH_REPS = Number(args['batch-reps'] ?? 2);
const CONC = Number(args.concurrency ?? 4);
const log = (s: string) => process.stderr.write(`${s}\n`);

/** One panel VE: wall-clock stamps (ms since epoch) of request start/end and the task's DB timestamps. */
interface PanelSample { ctid: number; reqStart: number; reqEnd: number; created: number; started: number; finished: number; status: string }
interface Batch { path: 'raw' | 'panel'; concurrency: number; totalMs: number; perVeMs: number[]; panel?: PanelSample[] }

const stopAll: (() => Promise<unknown>)[] = [];
const pgDir = mkdtempSync('/tmp/vz-benchpc-pg-');
let pn: PanelTestNode | undefined;
let rawLxc = '';
const cleanup = async () => {
  for (const f of stopAll.splice(0)) await f().catch((e) => log(`cleanup: ${(e as Error).message}`));
  if (rawLxc) { await killAll(rawLxc); await unmountUnder(rawLxc); }
  await pn?.cleanup().catch((e) => log(`cleanup: ${(e as Error).message}`));
  await run('rm', ['-rf', pgDir], { allowFail: true });
};
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(130)));

try {
  const uptime = (await run('uptime', [])).stdout.trim();
  // ctids from a random base in 80000-89999 (host-wide LXC and veth names), or --ctid-base.
  const ctidBase = args['ctid-base'] ? Number(args['ctid-base']) : randomInt(80_000, 90_000 - (REPS + 1 + N * BATCH_REPS + 10) * 2);
  const { url, prisma, node, nextTaskEvent } = await panelBench(pgDir, stopAll, args, ctidBase, (n) => { pn = n; });
  let rawNext = ctidBase + (REPS + 1 + N * BATCH_REPS + 10);
  const worker = await startWorker({ connectionString: url, prisma, concurrency: CONC });
  stopAll.unshift(() => worker.stop());

  await chmod(node.tn.vzroot, 0o711); // raw VEs' mapped root must traverse to their lxcpath
  rawLxc = path.join(node.tn.vzroot, 'raw');
  await mkdir(rawLxc, { mode: 0o711 });
  // Raw id ranges: slots 12000+ of root's subuid range (the agent allocates lowest-free from slot 0).
  const slot0 = 12_000 + randomInt(0, 3000 - (N * BATCH_REPS + 20));
  const peer: RawPeer = {
    lxcpath: rawLxc, tarball: (await findTemplate(node.tn.vzroot, 'busybox')).tarball, bridge: node.tn.bridge,
    subidStart: 1_000_000 + (slot0 - (5000 + (rawNext - 20000))) * 65_536,
  };
  const rawNet = (args['raw-net'] as string | undefined) ?? `10.199.${randomInt(2, 99)}`;
  const rawIp = (i: number) => `${rawNet}.${10 + (i % 240)}/24`;
  log(`node ${node.tn.vzroot}, bridge ${node.tn.bridge}, ctids from ${ctidBase}; worker concurrency ${CONC}; ${uptime}`);

  const agent = node.agent();
  const panelTeardown = async (ctids: number[]) => pool(ctids, 4, async (c) => {
    await agent.call('ve.stop', { ctid: c, fast: true }).catch(() => undefined);
    await agent.call('ve.destroy', { ctid: c }).catch((e) => log(`destroy ${c}: ${(e as Error).message}`));
  });
  const rawOne = async (c: number, i: number) => {
    const t0 = now();
    await rawCreate(peer, c, rawIp(i));
    await rawStart(peer, c);
    return now() - t0;
  };
  const rawTeardown = async (ctids: number[]) => pool(ctids, 4, async (c) => { await rawStop(peer, c).catch(() => undefined); await rawDestroy(peer, c); });
  const checkRunning = async (lxcpath: string, ctids: number[]) => {
    for (const c of ctids) if (!((await rawInitPid({ ...peer, lxcpath }, c)) > 0)) throw new Error(`VE ${c} under ${lxcpath} is not running`);
  };

  // Panel: fire `ids.length` create requests (one at a time, like an admin script), wait for every task.
  const panelBatch = async (count: number): Promise<{ totalMs: number; samples: PanelSample[] }> => {
    const t0 = Date.now();
    const reqs: { ctid: number; taskId: string; reqStart: number; reqEnd: number }[] = [];
    for (let i = 0; i < count; i++) {
      const reqStart = Date.now();
      const r = await node.createVe({ hostname: `pc${randomInt(1e9)}.test` });
      reqs.push({ ctid: r.ctid, taskId: r.taskId, reqStart, reqEnd: Date.now() });
    }
    const done = new Map<string, PanelSample>();
    const until = Date.now() + 10 * 60_000;
    while (done.size < reqs.length) {
      if (Date.now() > until) throw new Error('panel tasks did not finish within 10 min');
      const rows = await prisma.task.findMany({ where: { id: { in: reqs.filter((q) => !done.has(q.taskId)).map((q) => q.taskId) }, status: { in: ['succeeded', 'failed', 'cancelled'] } } });
      for (const t of rows) {
        const q = reqs.find((x) => x.taskId === t.id)!;
        done.set(t.id, { ctid: q.ctid, reqStart: q.reqStart, reqEnd: q.reqEnd, created: t.createdAt.getTime(), started: t.startedAt?.getTime() ?? NaN, finished: t.finishedAt?.getTime() ?? NaN, status: t.status });
      }
      if (done.size < reqs.length) await nextTaskEvent();
    }
    const samples = reqs.map((q) => done.get(q.taskId)!);
    const bad = samples.filter((s) => s.status !== 'succeeded');
    if (bad.length) {
      const t = await prisma.task.findFirst({ where: { id: reqs.find((q) => q.ctid === bad[0].ctid)!.taskId } });
      throw new Error(`${bad.length} create tasks did not succeed: ${t?.errorCode} ${t?.error}`);
    }
    return { totalMs: Math.max(...samples.map((s) => s.finished)) - t0, samples };
  };

  // Singles (one VE at a time), alternating order, round 0 is a warm-up.
  const single = { raw: [] as number[], panel: [] as number[], panelSamples: [] as PanelSample[] };
  for (let r = 0; r <= REPS; r++) {
    for (const p of r % 2 ? ['panel', 'raw'] : ['raw', 'panel']) {
      if (p === 'raw') {
        const c = rawNext++;
        const ms = await rawOne(c, 0);
        await checkRunning(rawLxc, [c]);
        await rawTeardown([c]);
        if (r) single.raw.push(ms);
      } else {
        const { samples: [s] } = await panelBatch(1);
        await checkRunning(path.join(node.tn.vzroot, 'lxc'), [s.ctid]);
        await panelTeardown([s.ctid]);
        if (r) { single.panel.push(s.finished - s.reqStart); single.panelSamples.push(s); }
      }
    }
    log(`single ${r}/${REPS}: raw ${round(single.raw.at(-1) ?? NaN, 0)} ms, panel ${round(single.panel.at(-1) ?? NaN, 0)} ms`);
  }

  // Batches of N in ABBA order: raw at the worker's concurrency vs the panel (all requests at once).
  const batches: Batch[] = [];
  for (let rep = 0; rep < BATCH_REPS; rep++) {
    for (const p of rep % 2 ? ['panel', 'raw'] : ['raw', 'panel']) {
      if (p === 'raw') {
        const ctids = Array.from({ length: N }, () => rawNext++);
        const t0 = now();
        const per = await pool(ctids, CONC, (c, i) => rawOne(c, i));
        const totalMs = now() - t0;
        await checkRunning(rawLxc, ctids);
        await rawTeardown(ctids);
        batches.push({ path: 'raw', concurrency: CONC, totalMs, perVeMs: per });
      } else {
        const { totalMs, samples } = await panelBatch(N);
        await checkRunning(path.join(node.tn.vzroot, 'lxc'), samples.map((s) => s.ctid));
        await panelTeardown(samples.map((s) => s.ctid));
        batches.push({ path: 'panel', concurrency: CONC, totalMs, perVeMs: samples.map((s) => s.finished - s.reqStart), panel: samples });
      }
      log(`batch ${rep + 1}/${BATCH_REPS} ${p} x${N}: ${round(batches.at(-1)!.totalMs / 1000)} s`);
    }
  }
  // One serial raw batch for reference (what one VE at a time costs without any panel).
  const serialCtids = Array.from({ length: N }, () => rawNext++);
  const ts0 = now();
  for (const [i, c] of serialCtids.entries()) await rawOne(c, i);
  const rawSerialMs = now() - ts0;
  await checkRunning(rawLxc, serialCtids);
  await rawTeardown(serialCtids);

  // ---- report ----
  const med = (p: 'raw' | 'panel') => median(batches.filter((b) => b.path === p).map((b) => b.totalMs));
  const rawE2e = med('raw');
  const panelE2e = med('panel');
  const allPanel = batches.flatMap((b) => b.panel ?? []);
  const ps = single.panelSamples;
  const goal = (x: number) => (x <= 1.25 ? 'ok (<=1.25x)' : 'MISSED (<=1.25x)');
  const rows: (string | number)[][] = [
    ['create+start 1 VE, ms (median)', round(median(single.raw), 1), round(median(single.panel), 1), round(median(single.panel) / median(single.raw)), goal(median(single.panel) / median(single.raw))],
    [`create+start ${N} VEs end to end, s (median of ${BATCH_REPS})`, round(rawE2e / 1000), round(panelE2e / 1000), round(panelE2e / rawE2e), goal(panelE2e / rawE2e)],
    [`panel overhead per VE in the ${N} batch, ms ((panel-raw)/N)`, '-', round((panelE2e - rawE2e) / N, 1), '-', 'info'],
    [`panel overhead per single VE, ms`, '-', round(median(single.panel) - median(single.raw), 1), '-', 'info'],
    [`per-VE latency in the batch, ms (median / p95)`, `${round(median(batches.filter((b) => b.path === 'raw').flatMap((b) => b.perVeMs)), 0)} / ${round(percentile(batches.filter((b) => b.path === 'raw').flatMap((b) => b.perVeMs), 95), 0)}`,
      `${round(median(allPanel.map((s) => s.finished - s.reqStart)), 0)} / ${round(percentile(allPanel.map((s) => s.finished - s.reqStart), 95), 0)}`, '-', 'info (panel: request to task finished; includes queueing behind others)'],
    [`raw ${N} serial, s (reference)`, round(rawSerialMs / 1000), '-', '-', 'info'],
  ];
  const phaseRows = (xs: PanelSample[]): (string | number)[][] => [
    ['request (validate, place, allocate ctid+IP, insert VE+task, enqueue)', round(median(xs.map((s) => s.reqEnd - s.reqStart)), 1)],
    ['queued (task created -> worker started it)', round(median(xs.map((s) => s.started - s.created)), 1)],
    ['running (worker started -> task finished: agent ve.create start:true + DB updates)', round(median(xs.map((s) => s.finished - s.started)), 1)],
  ];
  console.log(`\npanel-create: N=${N}, singles=${REPS}, batch reps=${BATCH_REPS}, worker concurrency=${CONC}, raw batch concurrency=${CONC}`);
  console.log(`machine: ${os.cpus().length} cpus, ${round(os.totalmem() / 2 ** 30, 1)} GiB; ${uptime}\n`);
  console.log(table(['figure', 'raw LXC', 'panel', 'panel/raw', 'goal'], rows));
  console.log(`\npanel phases, single VE (median of ${REPS}, ms, from task timestamps):\n${table(['phase', 'ms'], phaseRows(ps))}`);
  console.log(`\npanel phases, ${N}-VE batches (median per VE, ms):\n${table(['phase', 'ms'], phaseRows(allPanel))}`);
  console.log('\nwhat the raw peer does not do (beyond the panel: no DB, queue or RPC):\n' + RAW_DIFFERENCES.map((d) => `- ${d}`).join('\n'));

  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const out = path.join(import.meta.dirname, 'results', `panel-create-${N}-${date}.json`);
  await writeFile(out, JSON.stringify({
    bench: 'panel-create', date: new Date().toISOString(), command: `npx tsx bench/panel-create.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: os.cpus().length, memBytes: os.totalmem(), kernel: os.release(), uptime },
    params: { n: N, reps: REPS, batchReps: BATCH_REPS, concurrency: CONC },
    goals: { timeRatioMax: 1.25 }, table: rows, single, batches, rawSerialMs, rawDifferences: RAW_DIFFERENCES,
  }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
} finally {
  await cleanup();
}
