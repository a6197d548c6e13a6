// Live migration pause with CRIU (online-criu) vs two-pass, for a VE whose process holds MEM MiB of
// touched memory, through the panel task between two test nodes on this machine; rounds alternate
// direction. The "hand" column is the same CRIU steps timed directly on the agents (dump with stop,
// copy, restore) from the task's phase timings: the task's overhead is the difference.
// Run: VZ_VE_CONSOLE_LOG=off npx tsx bench/live-migration.ts [--rounds 2] [--mem 256]
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { run as runWorker, runMigrations } from 'graphile-worker';
import type { Node } from '@/server/db/client';
import { benchDatabase } from './lib/db';
import { closeAll } from '@/server/nodes/pool';
import { taskRunner } from '@/server/operations/tasks/runner';
import { registerMigrateTasks, requestMigrateVe } from '@/server/operations/migrate';
import { agentOf } from '@/server/operations/migrate/plan';
import { buildAgentAndTemplate, destroyMigNode, makeMigNode, runId, type MigTestNode } from '@/test/fixtures/migration-nodes';
import { median, parseArgs, round, table } from './lib/stats';

process.env.VZ_VE_CONSOLE_LOG = 'off'; // checkpointable VEs (the nodes' daemons inherit it)
const sh = promisify(execFile);
const args = parseArgs(process.argv.slice(2));
const ROUNDS = Number(args.rounds ?? 2);
const MEM = Number(args.mem ?? 256);
const MiB = 2 ** 20;
const log = (s: string) => process.stderr.write(`${s}\n`);
const R = runId();
const ctid = randomInt(78900, 79000); // this work's ctid range (78000-78999)
const ip = `10.199.78.${randomInt(10, 250)}`;

/** A process in the VE holding MEM MiB it has written (awk keeps a MEM MiB string), then sleeping. */
async function touchMemory(n: MigTestNode) {
  // one toucher at a time: after a CRIU migration the previous one is still there (after two-pass it is gone)
  const script = `killall awk 2>/dev/null; awk 'BEGIN { s = sprintf("%${MEM * MiB}s", "x"); while (1) system("sleep 5") }' </dev/null >/dev/null 2>&1 &`;
  await sh('lxc-attach', ['-n', String(ctid), '-P', n.lxcpath, '--', 'setsid', 'sh', '-c', script]);
  for (let i = 0; i < 100; i++) {
    const rss = (await sh('lxc-cgroup', ['-n', String(ctid), '-P', n.lxcpath, 'memory.usage_in_bytes'])).stdout.trim();
    if (Number(rss) > MEM * MiB) return Number(rss);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the memory toucher did not grow');
}

const tplDir = mkdtempSync(`/var/tmp/cri-bench-${R}-tpl-`);
const pgDir = mkdtempSync(`/var/tmp/cri-bench-${R}-pg-`);
let A: MigTestNode | undefined;
let B: MigTestNode | undefined;
const stopAll: Array<() => Promise<unknown>> = [];
try {
  const uptime = (await sh('uptime')).stdout.trim();
  const tpl = await buildAgentAndTemplate(tplDir);
  A = await makeMigNode(R, 'a', tpl);
  B = await makeMigNode(R, 'b', tpl);
  const { url, prisma } = await benchDatabase(pgDir, stopAll);
  await runMigrations({ connectionString: url });
  registerMigrateTasks();
  const worker = await runWorker({ connectionString: url, concurrency: 2, noHandleSignals: true, pollInterval: 100, taskList: { 'task.run': taskRunner(prisma) } });
  stopAll.unshift(() => worker.stop());
  const mkNode = (n: MigTestNode) => prisma.node.create({ data: { name: n.name, address: n.sshd.host, sshPort: n.sshd.port, sshUser: n.account.name, transport: 'local', vzroot: n.vzroot, hostKey: n.sshd.hostPublicKey, state: 'online' } });
  const rows = new Map<MigTestNode, Node>([[A, await mkNode(A)], [B, await mkNode(B)]]);
  const template = await prisma.template.create({ data: { name: `busybox-${R}`, os: 'busybox', version: '1', arch: 'x86_64', sizeBytes: 1n, sha256: '0'.repeat(64) } });
  const pool = await prisma.ipPool.create({ data: { name: `cri-${R}`, cidr: '10.199.78.0/24', family: 4, gateway: '10.199.78.1', prefix: 24, nodes: { connect: [{ id: rows.get(A)!.id }, { id: rows.get(B)!.id }] } } });
  await agentOf(rows.get(A)!).call('ve.create', {
    ctid, ostemplate: 'busybox', hostname: `bench${ctid}.test`, ips: [`${ip}/24`], gateway: '10.199.78.1',
    ram: (MEM + 256) * MiB, numproc: 128, diskspace: 1024 * MiB, diskinodes: 131072, start: true,
  }, { opId: `bench-create-${ctid}` });
  const ve = await prisma.ve.create({ data: { ctid, hostname: `bench${ctid}.test`, nodeId: rows.get(A)!.id, templateId: template.id, state: 'running' } });
  await prisma.ipAddress.create({ data: { address: ip, poolId: pool.id, veId: ve.id, assignedAt: new Date() } });

  const out: Array<[number, string, string, number, string]> = [];
  const pauses: Record<string, number[]> = { 'online-criu': [], 'two-pass': [], hand: [] };
  let [s, t] = [A, B];
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of ['online-criu', 'two-pass'] as const) {
      const used = await touchMemory(s);
      const { taskId } = await requestMigrateVe(prisma, {}, ve.id, { targetNodeId: rows.get(t)!.id, keepHours: 0, mode });
      let task;
      for (;;) {
        task = await prisma.task.findUniqueOrThrow({ where: { id: taskId! } });
        if (task.status === 'succeeded' || task.status === 'failed') break;
        await new Promise((res) => setTimeout(res, 100));
      }
      if (task.status !== 'succeeded') throw new Error(`${mode} migration failed: ${task.error}`);
      const res = task.result as { pauseMs: number; timings: Array<{ phase: string; ms: number }> };
      const ph = Object.fromEntries(res.timings.map((x) => [x.phase, x.ms]));
      pauses[mode].push(res.pauseMs);
      if (mode === 'online-criu') pauses.hand.push(ph.checkpoint + ph['final-copy'] + ph['restore-on-target']);
      const phases = res.timings.map((x) => `${x.phase} ${x.ms}`).join(', ');
      out.push([i + 1, `${s.name} -> ${t.name}`, mode, res.pauseMs, `${round(used / MiB, 0)} MiB used; ${phases}`]);
      log(`round ${i + 1} ${mode} ${s.name} -> ${t.name}: pause ${res.pauseMs} ms (${phases})`);
      [s, t] = [t, s];
    }
  }
  const lines = [
    `live migration pause, a VE process holding ${MEM} MiB of touched memory, ${ROUNDS} rounds; ${uptime}`,
    table(['round', 'direction', 'mode', 'pause ms', 'memory and phases (ms)'], out),
    `median pause: online-criu ${median(pauses['online-criu'])} ms (its CRIU steps alone ${median(pauses.hand)} ms), two-pass ${median(pauses['two-pass'])} ms (goal for online-criu: < 300 ms)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  for (const f of stopAll) await f().catch((e) => log(`cleanup: ${(e as Error).message}`));
  await closeAll();
  await destroyMigNode(A);
  await destroyMigNode(B);
  await rm(tplDir, { recursive: true, force: true });
  await rm(pgDir, { recursive: true, force: true });
}
