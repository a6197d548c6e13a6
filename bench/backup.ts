// Backups (issue 12): the agent's first backup of a 2 GiB VE against restic run by hand on the same
// tree, the incremental after an 8 MiB change, and the VE's pause (reflink on XFS).
// Run: npx tsx bench/backup.ts [--fill-mib 1024] [--disk-gib 2] [--repo local|sftp] [--runs 3]
//   [--ctid-base 21000 --bridge vzbka --net 10.199.121] (names of your own when others share the machine)
// Each run backs the same VE up into fresh repositories (the agent's hash index dropped too), so
// every run is a first backup; medians and min..max are reported.
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Notification } from '@/agents/protocol';
import type { RepoSpec } from '@/agents/protocol/methods/backup';
import { callDaemon } from '@/agents/src/cli/daemon-client';
import { makeTestNode, type TestNode } from '@/agents/src/lxc/test-env';
import { resticEnv } from '@/agents/src/backup/repo';
import { run } from '@/agents/src/sys/exec';
import { vePaths } from '@/agents/src/sys/paths';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { startTestSshd, type TestSshd } from '@/test/fixtures/sshd';
import { median, parseArgs, round, timed } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const FILL_MIB = Number(args['fill-mib'] ?? 1024);
const DISK_GIB = Number(args['disk-gib'] ?? 2);
const REPO = args.repo === 'sftp' ? 'sftp' : 'local';
const RUNS = Math.max(1, Number(args.runs ?? 1));
const CTID_BASE = Number(args['ctid-base'] ?? 21000);
const log = (s: string) => process.stderr.write(`${s}\n`);
const exec = promisify(execFile);

const tmp = mkdtempSync('/tmp/bka-bench-');
const xfsImg = path.join(tmp, 'xfs.img');
const xfsMnt = path.join(tmp, 'xfs');
let node: TestNode | undefined;
let daemon: LocalDaemon | undefined;
let sshd: TestSshd | undefined;

async function cleanup() {
  await daemon?.stop('SIGKILL').catch(() => undefined);
  await node?.cleanup().catch(() => undefined);
  await sshd?.destroy().catch(() => undefined);
  await run('umount', ['-l', xfsMnt], { allowFail: true });
  await rm(tmp, { recursive: true, force: true });
}
for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => void cleanup().then(() => process.exit(130)));

/** CPU seconds a process and its reaped children used (/proc/<pid>/stat utime+stime+cutime+cstime). */
function cpuSeconds(pid: number | 'self'): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[11]) + Number(x[12]) + Number(x[13]) + Number(x[14])) / 100;
}

/** restic by hand, as an admin would: same binary, same tree, a fresh repository of the same kind. */
async function byHand(repo: RepoSpec, tree: string): Promise<{ ms: number; added: number; cpu: number }> {
  const r = repo.kind === 'local' ? ['-r', repo.path] : ['-r', `sftp:${repo.user}@${repo.host}:${repo.path}`,
    '-o', `sftp.command=ssh -F /dev/null -i ${tmp}/id -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p ${repo.port} ${repo.user}@${repo.host} -s sftp`];
  const env = resticEnv(path.join(tmp, 'hand'), repo.password);
  const cpu0 = cpuSeconds('self');
  const [out, ms] = await timed(() => exec('restic', [...r, 'backup', '--json', '-q', tree], { env, maxBuffer: 64 * 2 ** 20 }));
  const summary = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as { data_added?: number };
  return { ms, added: summary.data_added ?? 0, cpu: cpuSeconds('self') - cpu0 };
}

try {
  await run('truncate', ['-s', `${DISK_GIB * 3 + 2}G`, xfsImg]);
  await run('mkfs.xfs', ['-q', '-m', 'reflink=1', xfsImg]);
  await mkdir(xfsMnt);
  await run('mount', ['-o', 'loop', xfsImg, xfsMnt]);
  await run('chmod', ['0711', tmp, xfsMnt]);
  node = await makeTestNode({ ctidBase: CTID_BASE, ctidCount: 1000, bridgePrefix: String(args.bridge ?? 'vzbka'), net: String(args.net ?? '10.199.121'), tmpPrefix: `${xfsMnt}/vz-` });
  const socket = path.join(node.vzroot, 'run', 'vzagentd.sock');
  daemon = await ensureLocalDaemon({ vzroot: node.vzroot, socket, bridge: node.bridge, env: { VZ_VE_NETWORKS: '10.199.0.0/16' } });
  const password = randomBytes(12).toString('hex');
  const repoOf = async (name: string): Promise<RepoSpec> => {
    if (REPO === 'local') return { kind: 'local', path: path.join(tmp, name), password };
    if (!sshd) {
      await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(tmp, 'id')]);
      sshd = await startTestSshd({ host: `127.0.21.${randomInt(2, 250)}`, authorizedKeys: [readFileSync(path.join(tmp, 'id.pub'), 'utf8').trim()] });
    }
    return { kind: 'sftp', host: sshd.host, port: sshd.port, user: 'root', path: path.join(tmp, name), hostKey: sshd.hostPublicKey, privateKey: readFileSync(path.join(tmp, 'id'), 'utf8'), password };
  };
  const ctid = node.ctid();
  await callDaemon(socket, 've.create', { ctid, ostemplate: 'busybox', ips: [node.ip()], diskspace: DISK_GIB * 2 ** 30, start: true });
  log(`filling VE ${ctid} (${DISK_GIB} GiB disk) with ${FILL_MIB} MiB in files of 4 KiB to 64 MiB`);
  await callDaemon(socket, 've.exec', { ctid, timeoutSec: 3600, script: `
    mkdir -p /data/small /data/big; left=${FILL_MIB}; i=0
    while [ $left -gt 64 ]; do head -c 67108864 /dev/urandom > /data/big/f$i; left=$((left-64)); i=$((i+1)); done
    j=0; while [ $j -lt $((left*16)) ]; do head -c 65536 /dev/urandom > /data/small/s$j; j=$((j+1)); done
    j=0; while [ $j -lt 2000 ]; do echo "line $j" > /data/small/t$j; j=$((j+1)); done; sync` });
  const tree = vePaths(node.vzroot, ctid).root;
  await run('tar', ['-cf', '/dev/null', '-C', tree, '.']); // warm the page cache once, for both sides alike
  const phases = { onNotification: (n: Notification) => { if (n.method === 'log') log(`  agent: ${n.params.line}`); } };

  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const agentRepo = await repoOf(`repo-agent-${i}`);
    const handRepo = await repoOf(`repo-hand-${i}`);
    for (const repo of [agentRepo, handRepo]) await callDaemon(socket, 'backup.repo.init', { repo });
    // every run is a first backup: no hash index from the run before
    await rm(path.join(node.vzroot, 'backup', 'hashes'), { recursive: true, force: true });
    log(`run ${i + 1}/${RUNS}: restic by hand on the VE tree`);
    const hand = await byHand(handRepo, tree);
    log(`run ${i + 1}/${RUNS}: agent ve.backup.create`);
    // the agent's CPU: the daemon's own (the manifest) plus its reaped children's (restic, cp, mount)
    const agentCpu = () => cpuSeconds(daemon!.pid!);
    let c0 = agentCpu();
    const [first, firstMs] = await timed(() => callDaemon(socket, 've.backup.create', { ctid, repo: agentRepo }, phases));
    const firstCpu = agentCpu() - c0;
    await callDaemon(socket, 've.exec', { ctid, script: `head -c 8388608 /dev/urandom > /data/changed-8m-${i}; sync` });
    const handIncr = await byHand(handRepo, tree);
    c0 = agentCpu();
    const [incr, incrMs] = await timed(() => callDaemon(socket, 've.backup.create', { ctid, repo: agentRepo }, phases));
    const incrCpu = agentCpu() - c0;
    const row = {
      firstBackup: { agentMs: round(firstMs), handMs: round(hand.ms), ratio: round(firstMs / hand.ms, 3), agentCpuS: round(firstCpu), handCpuS: round(hand.cpu), cpuRatio: round(firstCpu / hand.cpu, 3), bytesAdded: first.bytesAdded, handBytesAdded: hand.added, copyMode: first.copyMode, pauseMs: first.pauseMs, manifestFiles: first.manifestFiles },
      incremental: { agentMs: round(incrMs), handMs: round(handIncr.ms), overheadMs: round(incrMs - handIncr.ms), agentCpuS: round(incrCpu), handCpuS: round(handIncr.cpu), bytesAdded: incr.bytesAdded, handBytesAdded: handIncr.added, pauseMs: incr.pauseMs },
    };
    process.stdout.write(`run ${i + 1}: first ${row.firstBackup.agentMs} ms vs by hand ${row.firstBackup.handMs} ms (ratio ${row.firstBackup.ratio}; CPU ${row.firstBackup.agentCpuS} s vs ${row.firstBackup.handCpuS} s, ratio ${row.firstBackup.cpuRatio}); incremental ${row.incremental.agentMs} ms vs ${row.incremental.handMs} ms (CPU ${row.incremental.agentCpuS} s vs ${row.incremental.handCpuS} s)\n`);
    runs.push(row);
    for (const repo of [agentRepo, handRepo]) await rm(repo.path, { recursive: true, force: true });
  }
  const snap = await callDaemon(socket, 've.snapshot.create', { ctid });
  const stat = (xs: number[]) => ({ median: round(median(xs), 3), min: round(Math.min(...xs), 3), max: round(Math.max(...xs), 3) });
  const rows = {
    host: os.hostname(), cpus: os.cpus().length, uptime: (await run('uptime', [])).stdout.trim(), repo: REPO, fillMiB: FILL_MIB, diskGiB: DISK_GIB, runs: RUNS,
    firstRatio: stat(runs.map((r) => r.firstBackup.ratio)),
    firstCpuRatio: stat(runs.map((r) => r.firstBackup.cpuRatio)),
    incrementalOverheadMs: stat(runs.map((r) => r.incremental.overheadMs)),
    perRun: runs,
    snapshot: { copyMode: snap.copyMode, pauseMs: snap.pauseMs },
  };
  const r0 = runs[0];
  process.stdout.write(`first backup:  agent/by-hand ratio median ${rows.firstRatio.median} (min ${rows.firstRatio.min}, max ${rows.firstRatio.max}) over ${RUNS} run(s) (goal <= 1.1)\n`);
  process.stdout.write(`first backup:  agent/by-hand CPU ratio median ${rows.firstCpuRatio.median} (min ${rows.firstCpuRatio.min}, max ${rows.firstCpuRatio.max}) (CPU is what a shared machine rations)\n`);
  process.stdout.write(`incremental:   agent minus by-hand median ${rows.incrementalOverheadMs.median} ms (min ${rows.incrementalOverheadMs.min}, max ${rows.incrementalOverheadMs.max}) after an 8 MiB change\n`);
  process.stdout.write(`VE pause:      backup ${r0.firstBackup.pauseMs} ms / ${r0.incremental.pauseMs} ms (${r0.firstBackup.copyMode}), snapshot ${snap.pauseMs} ms (goal < 1000 ms)\n`);
  const out = path.resolve(import.meta.dirname, 'results', `backup-${REPO}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
  await writeFile(out, `${JSON.stringify({ command: process.argv.slice(1).join(' '), ...rows }, null, 2)}\n`);
  log(`wrote ${out}`);
} finally {
  await cleanup();
}
