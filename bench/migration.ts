// Migration pause (freeze -> running on the target), two-pass mode through the panel task and the agents,
// vs a hand-run `rsync + freeze + rsync + stop + start` of the same VE data between the same two test nodes,
// in one run. Rounds alternate direction (A->B, B->A, ...); both methods run in every round.
// Run: npx tsx bench/migration.ts [--rounds 3] [--mb 200] [--changed-mb 8]
// Beside other runs on one machine, move its names and addresses (defaults: random ctid 60000-69999,
// 10.199.6.0/24, bridges vzmg*, /tmp/vz-mig-*, sshd on a random 127.0.0.x), e.g.
//   --ctids 65000-65999 --net 10.199.165 --bridge vzht --tmp /tmp/ht-mig- --loopback 127.0.165
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { run as runWorker, runMigrations } from 'graphile-worker';
import type { Node } from '@/server/db/client';
import { benchDatabase } from './lib/db';
import { closeAll } from '@/server/nodes/pool';
import { taskRunner } from '@/server/operations/tasks/runner';
import { migrationHooks, registerMigrateTasks, requestMigrateVe } from '@/server/operations/migrate';
import { agentOf } from '@/server/operations/migrate/plan';
import { buildAgentAndTemplate, destroyMigNode, makeMigNode, runId, type MigTestNode } from '@/test/fixtures/migration-nodes';
import { median, now, parseArgs, round, table } from './lib/stats';

const sh = promisify(execFile);
const args = parseArgs(process.argv.slice(2));
const ROUNDS = Number(args.rounds ?? 3);
const MB = Number(args.mb ?? 200);
const CHANGED = Number(args['changed-mb'] ?? 8);
const MiB = 2 ** 20;
const log = (s: string) => process.stderr.write(`${s}\n`);
const R = runId();
const [ctidLo, ctidHi] = String(args.ctids ?? '60000-69999').split('-').map(Number);
const ctid = randomInt(ctidLo, ctidHi + 1);
const NET = String(args.net ?? '10.199.6');
const ip = `${NET}.${randomInt(10, 250)}`;
const TMP = String(args.tmp ?? '/tmp/vz-mig-');
// --root-bashrc: the hand-run's root logins read root's ~/.bashrc as an admin's would. By default their
// HOME is an empty dir: on this machine kind root's ~/.bashrc runs pyenv, which waits 60 s on a stale
// lock left by a killed shell (issue 17), and that wait is no part of either method.
const ROOT_BASHRC = !!args['root-bashrc'];
const space = { bridgePrefix: args.bridge as string | undefined, tmpPrefix: TMP, loopback3: args.loopback as string | undefined };

/** ~MB of a distro-like tree: many small files (the file-list cost) plus some large ones. */
async function fillRoot(root: string, mb: number) {
  let left = mb * MiB;
  for (let d = 0; left > 0; d++) {
    const dir = path.join(root, 'usr/share/bench', `d${d}`);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < 100 && left > 0; i++) {
      const size = i % 50 === 49 ? Math.min(left, 2 * MiB) : Math.min(left, randomInt(512, 16_384));
      await writeFile(path.join(dir, `f${i}`), randomBytes(size));
      left -= size;
    }
  }
}

/** The "what changed while it ran" of every round: CHANGED MiB rewritten in one file plus a few small ones. */
async function changeData(root: string) {
  await writeFile(path.join(root, 'var-changed.bin'), randomBytes(CHANGED * MiB));
  for (let i = 0; i < 20; i++) await writeFile(path.join(root, `usr/share/bench/d0/f${i}`), randomBytes(1024));
}

const rootOf = (n: MigTestNode) => path.join(n.vzroot, 'root', String(ctid));
const handName = `hand${R}`;
const handKey = (n: MigTestNode) => path.join(n.vzroot, 'hand-key');

async function handSsh(t: MigTestNode): Promise<string> {
  const kh = path.join(t.vzroot, 'hand-known_hosts');
  await writeFile(kh, `[${t.sshd.host}]:${t.sshd.port} ${t.sshd.hostPublicKey}\n`);
  return ['ssh', '-F', '/dev/null', '-i', handKey(t), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${kh}`,
    '-o', 'Compression=no', '-p', String(t.sshd.port), '-l', 'root'].join(' ');
}

/**
 * By hand, as an admin would: an empty ext4 image mounted on the target, a container config there
 * (the VE's own, re-pathed), rsync while running, then freeze, rsync again, stop, start. Returns ms.
 */
async function handRun(s: MigTestNode, t: MigTestNode) {
  const img = path.join(t.vzroot, `${handName}.img`);
  const hroot = path.join(t.vzroot, 'root', handName);
  await sh('truncate', ['-s', '1G', img]);
  await sh('mkfs.ext4', ['-q', '-F', img]);
  await mkdir(hroot, { recursive: true });
  await sh('mount', ['-o', 'loop,noatime', img, hroot]);
  const cfg = (await readFile(path.join(s.lxcpath, String(ctid), 'config'), 'utf8'))
    .replaceAll(`dir:${rootOf(s)}`, `dir:${hroot}`).replaceAll(path.join(s.lxcpath, String(ctid)), path.join(t.lxcpath, handName))
    .replace(/^lxc\.net\.0\.link = .*$/m, `lxc.net.0.link = ${t.bridge}`).replace(/^lxc\.net\.0\.veth\.pair = .*$/m, `lxc.net.0.veth.pair = vh${R}`)
    .replace(/^lxc\.hook\..*$/gm, '');
  await mkdir(path.join(t.lxcpath, handName), { recursive: true });
  // As the agent does: the container's mapped root must traverse vzroot and the lxc dirs.
  for (const d of [t.vzroot, t.lxcpath, path.join(t.lxcpath, handName)]) await sh('chmod', ['0711', d]);
  await writeFile(path.join(t.lxcpath, handName, 'config'), cfg);
  const rsync = async () => sh('rsync', ['-aHAX', '--numeric-ids', '--delete', '--inplace', '-e', await handSsh(t), `${rootOf(s)}/`, `${t.sshd.host}:${hroot}/`], { maxBuffer: 64 * MiB });
  await rsync();
  // Same as the agents' warm-up: the first copy's dirty pages are flushed before the pause.
  await sh('sync', ['-f', rootOf(s)]);
  await sh('sync', ['-f', hroot]);
  await changeData(rootOf(s));
  const init = Number((await sh('lxc-info', ['-n', String(ctid), '-P', s.lxcpath, '-pH'])).stdout.trim());
  const t0 = now();
  await sh('lxc-freeze', ['-n', String(ctid), '-P', s.lxcpath]);
  const t1 = now();
  await rsync();
  const t2 = now();
  // The fast stop (lxc-stop -k takes ~550 ms here even with --nowait): SIGKILL init, thaw.
  process.kill(init, 'SIGKILL');
  await sh('lxc-unfreeze', ['-n', String(ctid), '-P', s.lxcpath]).catch(() => undefined);
  const t3 = now();
  const lf = path.join(t.vzroot, `${handName}.log`);
  await sh('lxc-start', ['-n', handName, '-P', t.lxcpath, '-d', '-o', lf, '-l', 'ERROR']).catch(async (e) => {
    throw new Error(`hand start failed: ${await readFile(lf, 'utf8').catch(() => '')}\n${cfg}`, { cause: e });
  });
  const t4 = now();
  const r = { pause: t4 - t0, freeze: t1 - t0, rsync: t2 - t1, stop: t3 - t2, start: t4 - t3 };
  // Undo: hand container and image away, the VE running again on its node.
  await sh('lxc-stop', ['-n', handName, '-P', t.lxcpath, '-k']).catch(() => undefined);
  await sh('umount', ['-d', hroot]);
  await rm(path.join(t.lxcpath, handName), { recursive: true, force: true });
  await rm(img, { force: true });
  await rm(hroot, { recursive: true, force: true });
  for (let i = 0; i < 100 && (await sh('lxc-info', ['-n', String(ctid), '-P', s.lxcpath, '-sH'])).stdout.trim() !== 'STOPPED'; i++) await new Promise((res) => setTimeout(res, 50));
  return r;
}

const tplDir = mkdtempSync(`${TMP}${R}-tpl-`);
const emptyHome = mkdtempSync(`${TMP}${R}-home-`);
if (!ROOT_BASHRC) Object.assign(space, { sshdSetEnv: [`HOME=${emptyHome}`] });
const pgDir = mkdtempSync(`${TMP}${R}-pg-`);
let A: MigTestNode | undefined;
let B: MigTestNode | undefined;
const stopAll: Array<() => Promise<unknown>> = [];
try {
  const uptime = (await sh('uptime')).stdout.trim();
  const tpl = await buildAgentAndTemplate(tplDir);
  A = await makeMigNode(R, 'a', tpl, space);
  B = await makeMigNode(R, 'b', tpl, space);
  const { url, prisma } = await benchDatabase(pgDir, stopAll);
  await runMigrations({ connectionString: url });
  registerMigrateTasks();
  const worker = await runWorker({ connectionString: url, concurrency: 2, noHandleSignals: true, pollInterval: 100, taskList: { 'task.run': taskRunner(prisma) } });
  stopAll.unshift(() => worker.stop());
  for (const n of [A, B]) {
    const pub = (await sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', handKey(n)]).then(() => readFile(`${handKey(n)}.pub`, 'utf8'))).trim();
    await appendFile(n.sshd.authorizedKeysPath, `${pub}\n`);
  }
  // Hand keys go to the other node's sshd: the key file for target t lives in t's vzroot.
  const mkNode = (n: MigTestNode) => prisma.node.create({ data: { name: n.name, address: n.sshd.host, sshPort: n.sshd.port, sshUser: n.account.name, transport: 'local', vzroot: n.vzroot, hostKey: n.sshd.hostPublicKey, state: 'online' } });
  const rows = new Map<MigTestNode, Node>([[A, await mkNode(A)], [B, await mkNode(B)]]);
  const template = await prisma.template.create({ data: { name: `busybox-${R}`, os: 'busybox', version: '1', arch: 'x86_64', sizeBytes: 1n, sha256: '0'.repeat(64) } });
  const pool = await prisma.ipPool.create({ data: { name: `mig-${R}`, cidr: `${NET}.0/24`, family: 4, gateway: `${NET}.1`, prefix: 24, nodes: { connect: [{ id: rows.get(A)!.id }, { id: rows.get(B)!.id }] } } });
  await agentOf(rows.get(A)!).call('ve.create', {
    ctid, ostemplate: 'busybox', hostname: `bench${ctid}.test`, ips: [`${ip}/24`], gateway: `${NET}.1`,
    ram: 256 * MiB, numproc: 128, diskspace: 1024 * MiB, diskinodes: 131072, start: true,
  }, { opId: `bench-create-${ctid}` });
  const ve = await prisma.ve.create({ data: { ctid, hostname: `bench${ctid}.test`, nodeId: rows.get(A)!.id, templateId: template.id, state: 'running' } });
  await prisma.ipAddress.create({ data: { address: ip, poolId: pool.id, veId: ve.id, assignedAt: new Date() } });
  await fillRoot(rootOf(A), MB);
  const used = (await sh('du', ['-sm', rootOf(A)])).stdout.split('\t')[0];
  log(`VE ${ctid}: ${used} MB root; ${uptime}`);

  const hand: Array<Awaited<ReturnType<typeof handRun>>> = [];
  const agent: Array<{ pause: number; phases: string; steps: string }> = [];
  const pauses: unknown[] = [];
  let [s, t] = [A, B];
  for (let i = 0; i < ROUNDS; i++) {
    hand.push(await handRun(s, t));
    await agentOf(rows.get(s)!).call('ve.start', { ctid }, { opId: `bench-start-${R}-${i}` });
    migrationHooks.afterFirstCopy = () => changeData(rootOf(s));
    const { taskId } = await requestMigrateVe(prisma, {}, ve.id, { targetNodeId: rows.get(t)!.id, keepHours: 0 });
    let task;
    for (;;) {
      task = await prisma.task.findUniqueOrThrow({ where: { id: taskId! } });
      if (task.status === 'succeeded' || task.status === 'failed') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    if (task.status !== 'succeeded') throw new Error(`migration failed: ${task.error}`);
    const res = task.result as { pauseMs: number; timings: Array<{ phase: string; ms: number }>; passes?: Array<{ selection?: { mode: string; listed?: number; walkMs?: number; reason?: string } }>; pause?: Record<string, number | boolean | undefined> };
    const inPause = ['freeze', 'final-copy', 'verify', 'commit', 'start-on-target'];
    // What the final pass sent: the entries changed since pass 1 (and the walk that found them), or the whole tree.
    const sel = res.passes?.[1]?.selection;
    const sent = !sel ? '' : sel.mode === 'changed' ? `; final pass: ${sel.listed} entries listed, walk ${sel.walkMs} ms` : `; final pass: whole tree (${sel.reason})`;
    // The pause step by step (task result `pause`): walk and rsync of the final copy, the verify's manifests, kill and start.
    const steps = res.pause ? `; steps: ${Object.entries(res.pause).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${String(v)}`).join(', ')}` : '';
    agent.push({ pause: res.pauseMs, phases: res.timings.filter((x) => inPause.includes(x.phase)).map((x) => `${x.phase} ${x.ms}`).join(', ') + sent, steps });
    pauses.push({ round: i + 1, pauseMs: res.pauseMs, hand: hand[i], steps: res.pause });
    log(`round ${i + 1} ${s.name} -> ${t.name}: hand ${round(hand[i].pause, 0)} ms, agents ${res.pauseMs} ms (${agent[i].phases}${agent[i].steps})`);
    [s, t] = [t, s];
  }
  migrationHooks.afterFirstCopy = undefined;
  const h = median(hand.map((x) => x.pause));
  const a = median(agent.map((x) => x.pause));
  const rowsOut = hand.map((x, i) => [i + 1, round(x.pause, 0), `${round(x.freeze, 0)}/${round(x.rsync, 0)}/${round(x.stop, 0)}/${round(x.start, 0)}`, agent[i].pause, agent[i].phases]);
  const out = [
    `migration pause, ${used} MB root, ${CHANGED} MiB changed after the first copy, ${ROUNDS} rounds (alternating direction); hand-run root logins ${ROOT_BASHRC ? "read root's ~/.bashrc" : 'read no ~/.bashrc (HOME is an empty dir)'}; ${uptime}`,
    table(['round', 'hand ms', 'hand freeze/rsync/stop/start', 'agents ms', 'agents phases (ms; start-on-target includes the source copy kept after the start)'], rowsOut),
    `median pause: hand-run ${round(h, 0)} ms, agents ${round(a, 0)} ms, ratio ${round(a / h, 2)} (goal: < 1000 ms and <= 1.2)`,
    ...agent.map((x, i) => `round ${i + 1} steps (ms)${x.steps.slice(1)}`),
    `spread: hand-run ${round(Math.min(...hand.map((x) => x.pause)), 0)}-${round(Math.max(...hand.map((x) => x.pause)), 0)} ms, agents ${Math.min(...agent.map((x) => x.pause))}-${Math.max(...agent.map((x) => x.pause))} ms; at the end: ${(await sh('uptime')).stdout.trim()}`,
  ].join('\n');
  process.stdout.write(`${out}\n`);
  const file = path.join(import.meta.dirname, 'results', `migration-${ROUNDS}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
  await writeFile(file, JSON.stringify({ uptime, end: (await sh('uptime')).stdout.trim(), rootMb: used, changedMb: CHANGED, medianMs: { hand: h, agents: a }, rounds: pauses }, null, 2) + '\n');
  log(`results: ${file}`);
} finally {
  migrationHooks.afterFirstCopy = undefined;
  for (const f of stopAll) await f().catch((e) => log(`cleanup: ${(e as Error).message}`));
  await closeAll();
  for (const n of [A, B]) {
    if (!n) continue;
    await sh('lxc-stop', ['-n', handName, '-P', n.lxcpath, '-k']).catch(() => undefined);
    await sh('umount', ['-d', path.join(n.vzroot, 'root', handName)]).catch(() => undefined);
  }
  await destroyMigNode(A);
  await destroyMigNode(B);
  await rm(tplDir, { recursive: true, force: true });
  await rm(emptyHome, { recursive: true, force: true });
  await rm(pgDir, { recursive: true, force: true });
}
