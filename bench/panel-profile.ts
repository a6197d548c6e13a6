// Where a create+start through the panel spends its time and CPU (issue 15), in ONE run:
// (1) the programs run for one panel create (strace -f on the agent daemon and on this process),
// (2) one panel create's timeline (request, queue, task running, the daemon's own operation time),
// (3) a batch of N through the worker with host CPU split by process: this process (panel request,
//     worker, Prisma), the `vzagent rpc` bridge, the daemon (and the programs it waited for),
//     Postgres, the LXC monitors, and the whole box (everyone's; noisy on a shared machine).
// Run: npx tsx bench/panel-profile.ts [--n 20] [--concurrency 4] [--net 10.199.120] [--ctid-base 64000]
//      [--bridge-prefix vzrt] [--tmp-prefix /tmp/vz-rt-]
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { run } from '@/agents/src/sys/exec';
import { panelBench } from './lib/panel-bench';
import { startWorker } from '@/server/operations/worker';
import type { PanelTestNode } from '@/test/fixtures/panel-node';
import { cpuOf, hostBusyMs, procCpu, processTable } from './lib/proc-cpu';
import { traceExecs } from './lib/trace';
import { median, now, parseArgs, round, table } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.n ?? 20);
const CONC = Number(args.concurrency ?? 4);
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stopAll: (() => Promise<unknown>)[] = [];
const pgDir = mkdtempSync(`${(args['tmp-prefix'] as string | undefined) ?? '/tmp/vz-'}pg-`);
let pn: PanelTestNode | undefined;
const cleanup = async () => {
  for (const f of stopAll.splice(0)) await f().catch((e) => log(`cleanup: ${(e as Error).message}`));
  await pn?.cleanup().catch((e) => log(`cleanup: ${(e as Error).message}`));
  await run('rm', ['-rf', pgDir], { allowFail: true });
};
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(130)));

// --prof DIR: V8 CPU profiles of the daemon, the rpc bridge (wrappers run node --cpu-prof) and this
// process (inspector, around the batch), written to DIR for a bottom-up read.
const PROF = args.prof as string | undefined;
const profileSelf = PROF ? await selfProfiler() : undefined;
if (PROF) {
  const repo = path.resolve(import.meta.dirname, '..');
  for (const [bin, js, env] of [['vzagentd', 'vzagentd.js', 'VZ_AGENTD_BIN'], ['vzagent', 'vzagent.js', 'VZ_AGENT_BIN']] as const) {
    const wrapper = path.join(PROF, bin);
    await writeFile(wrapper, `#!/bin/sh\nexec node --cpu-prof --cpu-prof-dir=${PROF} ${path.join(repo, 'agents/dist', js)} "$@"\n`, { mode: 0o755 });
    process.env[env] = wrapper;
  }
}

async function selfProfiler() {
  const { Session } = await import('node:inspector/promises');
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  return {
    start: () => s.post('Profiler.start'),
    stop: async () => {
      const { profile } = await s.post('Profiler.stop');
      await writeFile(path.join(PROF!, `panel-${process.pid}.cpuprofile`), JSON.stringify(profile));
    },
  };
}

try {
  const uptime = (await run('uptime', [])).stdout.trim();
  const ctidBase = args['ctid-base'] ? Number(args['ctid-base']) : randomInt(80_000, 89_000);
  const { url, prisma, node, nextTaskEvent } = await panelBench(pgDir, stopAll, args, ctidBase, (n) => { pn = n; });
  const worker = await startWorker({ connectionString: url, prisma, concurrency: CONC });
  stopAll.unshift(() => worker.stop());
  const daemonPid = node.daemon.pid!;
  const postmaster = Number((await readFile(path.join(pgDir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const lxcpath = path.join(node.tn.vzroot, 'lxc');
  log(`node ${node.tn.vzroot}, bridge ${node.tn.bridge}, ctids from ${ctidBase}, daemon ${daemonPid}, postmaster ${postmaster}; ${uptime}`);

  const agent = node.agent();
  const teardown = async (ctids: number[]) => {
    for (const c of ctids) {
      await agent.call('ve.stop', { ctid: c, fast: true }).catch(() => undefined);
      await agent.call('ve.destroy', { ctid: c }).catch((e) => log(`destroy ${c}: ${(e as Error).message}`));
    }
  };
  const createMany = async (count: number) => {
    const t0 = Date.now();
    const reqs: { ctid: number; taskId: string; reqStart: number; reqEnd: number }[] = [];
    for (let i = 0; i < count; i++) {
      const reqStart = Date.now();
      const r = await node.createVe({ hostname: `pp${randomInt(1e9)}.test` });
      reqs.push({ ...r, reqStart, reqEnd: Date.now() });
    }
    for (;;) {
      const rows = await prisma.task.findMany({ where: { id: { in: reqs.map((q) => q.taskId) } } });
      const bad = rows.find((t) => t.status === 'failed' || t.status === 'cancelled');
      if (bad) throw new Error(`create failed: ${bad.errorCode} ${bad.error}`);
      if (rows.every((t) => t.status === 'succeeded')) return { totalMs: Date.now() - t0, reqs, rows };
      await nextTaskEvent();
    }
  };
  const daemonOpMs = async () => {
    const ms: number[] = [];
    for (const l of (await readFile(node.daemon.logFile, 'utf8')).split('\n')) {
      if (!l.includes('"operation finished"') || !l.includes('"ve.create"')) continue;
      ms.push(JSON.parse(l).ms as number);
    }
    return ms;
  };

  // warm-up (template image build, bridge, first RPC)
  await teardown((await createMany(1)).reqs.map((q) => q.ctid));

  // The daemon's spawn helper (agents/src/exec/spawner.ts; absent with VZ_SPAWNER=off) runs its
  // programs: strace -p does not follow children that already exist, so it is traced by itself.
  // Helpers start on first use: the warm-up create above has started every one it needed.
  const helperPids = (await processTable()).filter((p) => p.ppid === daemonPid && p.cmd.includes('vzspawn')).map((p) => p.pid);
  log(helperPids.length ? `spawn helpers ${helperPids.join(' ')}` : 'no spawn helper (programs forked by the daemon itself)');

  // (1) programs per create
  let one: Awaited<ReturnType<typeof createMany>> | undefined;
  const selfExecs = new Map<string, number>();
  const helperExecs = new Map<string, number>();
  const daemonExecs = await traceExecs(daemonPid, path.join(node.tn.vzroot, 'trace-daemon'), async () => {
    const traceSelf = async () => {
      const m = await traceExecs(process.pid, path.join(node.tn.vzroot, 'trace-self'), async () => { one = await createMany(1); });
      for (const [k, v] of m) selfExecs.set(k, v);
    };
    // Nested: each helper's trace wraps the next, the innermost wraps the create.
    const traceFrom = async (i: number): Promise<void> => {
      if (i >= helperPids.length) return traceSelf();
      const h = await traceExecs(helperPids[i], path.join(node.tn.vzroot, `trace-helper-${i}`), () => traceFrom(i + 1));
      for (const [k, v] of h) helperExecs.set(k, (helperExecs.get(k) ?? 0) + v);
    };
    await traceFrom(0);
  });
  for (const [k, v] of helperExecs) daemonExecs.set(k, (daemonExecs.get(k) ?? 0) + v);
  await teardown(one!.reqs.map((q) => q.ctid));

  // SQL statements per create (every pg client of this process: Prisma's adapter, graphile-worker, the task writer).
  const stmts = new Map<string, number>();
  const origQuery = pg.Client.prototype.query;
  const countQuery = function (this: pg.Client, ...a: unknown[]) {
    const q = a[0] as string | { text?: string; name?: string };
    const text = (typeof q === 'string' ? q : q?.text ?? q?.name ?? '?').replace(/\s+/g, ' ').trim().slice(0, 90);
    stmts.set(text, (stmts.get(text) ?? 0) + 1);
    return (origQuery as (...x: unknown[]) => unknown).apply(this, a);
  };
  (pg.Client.prototype as unknown as { query: unknown }).query = countQuery;
  const counted = await createMany(1);
  (pg.Client.prototype as unknown as { query: unknown }).query = origQuery;
  await teardown(counted.reqs.map((q) => q.ctid));

  // (2) single timelines, 5 in a row
  const singles: Record<string, number>[] = [];
  for (let i = 0; i < 5; i++) {
    const before = (await daemonOpMs()).length;
    const r = await createMany(1);
    await sleep(50);
    const t = r.rows[0];
    const q = r.reqs[0];
    singles.push({
      request: q.reqEnd - q.reqStart, queued: t.startedAt!.getTime() - t.createdAt.getTime(),
      running: t.finishedAt!.getTime() - t.startedAt!.getTime(), daemonOp: (await daemonOpMs())[before] ?? NaN,
      total: t.finishedAt!.getTime() - q.reqStart,
    });
    await teardown([q.ctid]);
  }

  // (3) batch CPU split
  const isPg = (p: { pid: number; ppid: number }) => p.pid === postmaster || p.ppid === postmaster;
  const isMonitor = (p: { cmd: string }) => p.cmd.startsWith('[lxc monitor]') && p.cmd.includes(lxcpath);
  const snap = async () => {
    const u = process.cpuUsage();
    const d = await procCpu(daemonPid);
    const h = { ownMs: 0, childrenMs: 0 };
    for (const pid of helperPids) {
      const c = await procCpu(pid);
      h.ownMs += c.ownMs;
      h.childrenMs += c.childrenMs;
    }
    const bridge = await cpuOf((p) => p.ppid === process.pid && /vzagent\.js rpc /.test(p.cmd));
    return { self: (u.user + u.system) / 1000, bridge, daemonOwn: d.ownMs, helperOwn: h.ownMs, daemonChildren: d.childrenMs + h.childrenMs, pg: await cpuOf(isPg), host: await hostBusyMs(), t: now() };
  };
  const s0 = await snap();
  await profileSelf?.start();
  const batch = await createMany(N);
  await profileSelf?.stop();
  const monitors = await cpuOf(isMonitor);
  const s1 = await snap();
  const ctids = batch.reqs.map((q) => q.ctid);
  for (const c of ctids) if (!((await node.lxcState(c)) === 'RUNNING')) throw new Error(`VE ${c} is not running`);
  await teardown(ctids);
  const per = (k: keyof typeof s0) => (s1[k] - s0[k]) / N;
  const cpuRows: (string | number)[][] = [
    ['this process: request + worker + Prisma + task writer', round(per('self'), 1)],
    ['vzagent rpc bridge', round(per('bridge'), 1)],
    ['vzagentd itself', round(per('daemonOwn'), 1)],
    ['vzagentd spawn helpers themselves', round(per('helperOwn'), 1)],
    ['programs vzagentd (or its helper) waited for (mount, losetup, nft, lxc-start, ...)', round(per('daemonChildren'), 1)],
    ['Postgres (postmaster + backends)', round(per('pg'), 1)],
    ['LXC monitors of the batch (alive at the end)', round(monitors / N, 1)],
    ['whole box, everyone (2 cores)', round(per('host'), 1)],
  ];
  const fmt = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const keys = Object.keys(singles[0]);
  console.log(`\npanel-profile: N=${N}, worker concurrency ${CONC}; ${uptime}; at end: ${(await run('uptime', [])).stdout.trim()}\n`);
  console.log(`(1) programs for one panel create: daemon ${sum(daemonExecs)} [${fmt(daemonExecs)}]; panel process ${sum(selfExecs)} [${fmt(selfExecs)}]\n`);
  console.log(`(1b) SQL statements for one panel create (this process, incl. the bench's own waits): ${sum(stmts)}\n${[...stmts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${String(v).padStart(4)}  ${k}`).join('\n')}\n`);
  console.log('(2) one VE at a time, ms (median of 5)\n' + table(['phase', 'median', 'min'], keys.map((k) => [k, round(median(singles.map((s) => s[k])), 1), round(Math.min(...singles.map((s) => s[k])), 1)])));
  console.log(`\n(3) ${N} VEs through the worker: ${round(batch.totalMs / 1000)} s; host CPU per VE, ms\n` + table(['process', 'ms/VE'], cpuRows));
  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const out = path.join(import.meta.dirname, 'results', `panel-profile-${N}-${date}.json`);
  await writeFile(out, JSON.stringify({
    bench: 'panel-profile', date: new Date().toISOString(), command: `npx tsx bench/panel-profile.ts ${process.argv.slice(2).join(' ')}`.trim(), uptime,
    execs: { daemon: Object.fromEntries(daemonExecs), panel: Object.fromEntries(selfExecs) }, statements: Object.fromEntries(stmts), singles, batchMs: batch.totalMs, cpuRows,
  }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  // SIGTERM, so a daemon run under NODE_OPTIONS=--cpu-prof writes its profile.
  await node.daemon.stop('SIGTERM');
} finally {
  await cleanup();
}
