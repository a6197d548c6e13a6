// Backups (issue 12): the agent's first backup of a 2 GiB VE against restic run by hand on the same
// tree, the incremental after an 8 MiB change, and the VE's pause (reflink on XFS).
// Run: npx tsx bench/backup.ts [--fill-mib 1024] [--disk-gib 2] [--repo local|sftp] [--runs 3]
//   [--ctid-base 21000 --bridge vzbka --net 10.199.121 --loopback 127.0.21 --tmp /tmp/bka-bench-]
//   (names of your own when others share the machine)
// Each run backs the same VE up into fresh repositories (the agent's hash index dropped too), so
// every run is a first backup; medians and min..max are reported. By hand, restic reads what the
// agent reads: a read-only reflink copy of the frozen VE image, mounted fresh (cold page cache),
// taken outside the timed part; runs alternate which side goes first.
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
import { pointInTimeCopy } from '@/agents/src/backup/pit';
import { resticEnv } from '@/agents/src/backup/repo';
import { run } from '@/agents/src/sys/exec';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { startTestSshd, type TestSshd } from '@/test/fixtures/sshd';
import { median, parseArgs, round, timed } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const FILL_MIB = Number(args['fill-mib'] ?? 1024);
const DISK_GIB = Number(args['disk-gib'] ?? 2);
const REPO = args.repo === 'sftp' ? 'sftp' : 'local';
const RUNS = Math.max(1, Number(args.runs ?? 1));
const CTID_BASE = Number(args['ctid-base'] ?? 21000);
const LOOPBACK = String(args.loopback ?? '127.0.21');
const log = (s: string) => process.stderr.write(`${s}\n`);
const exec = promisify(execFile);

const tmp = mkdtempSync(String(args.tmp ?? '/tmp/bka-bench-'));
const xfsImg = path.join(tmp, 'xfs.img');
const xfsMnt = path.join(tmp, 'xfs');
// by hand: restic reads a copy mounted here (one path, so restic finds the parent for the incremental)
const handTree = path.join(tmp, 'hand-tree');
const handImage = path.join(xfsMnt, 'hand.img');
let node: TestNode | undefined;
let daemon: LocalDaemon | undefined;
let sshd: TestSshd | undefined;

async function cleanup() {
  await dropHandCopy().catch(() => undefined);
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

/**
 * What the agent reads, made the way it makes it but outside the timed part: the VE frozen, its
 * image cloned, thawed; the clone attached read-only and mounted without journal replay. A fresh
 * mount starts with a cold page cache, as the agent's does (the live VE's cache is not shared).
 */
async function handCopy(vzroot: string, ctid: number): Promise<void> {
  await pointInTimeCopy(vzroot, ctid, handImage); // on the VE area's XFS: a reflink needs the same filesystem
  await mkdir(handTree, { recursive: true });
  const dev = (await run('losetup', ['--find', '--show', '--read-only', handImage])).stdout.trim();
  await run('mount', ['-t', 'ext4', '-o', 'ro,noload,nodev,nosuid,noexec', dev, handTree]);
}

async function dropHandCopy(): Promise<void> {
  if ((await run('findmnt', ['-n', handTree], { allowFail: true })).stdout.trim()) await run('umount', [handTree]);
  // every loop device on the copy, also one attached by a handCopy that failed before its mount
  for (const l of (await run('losetup', ['-n', '-O', 'NAME', '-j', handImage], { allowFail: true })).stdout.split('\n')) {
    if (l.trim()) await run('losetup', ['-d', l.trim()], { allowFail: true });
  }
  await rm(handImage, { force: true });
}

/** restic by hand, as an admin would: same binary, same repository settings, a fresh repository of the same kind. */
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
      sshd = await startTestSshd({ host: `${LOOPBACK}.${randomInt(2, 250)}`, authorizedKeys: [readFileSync(path.join(tmp, 'id.pub'), 'utf8').trim()] });
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
  // (no `tar -cf /dev/null` warm-up: GNU tar does not read file data when the archive is /dev/null)
  let lastPhases = '';
  const phases = { onNotification: (n: Notification) => {
    if (n.method !== 'log') return;
    log(`  agent: ${n.params.line}`);
    if (n.params.line.startsWith('phases: ')) lastPhases = n.params.line.slice(8);
  } };
  const loadBefore = (await run('uptime', [])).stdout.trim();

  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const agentRepo = await repoOf(`repo-agent-${i}`);
    const handRepo = await repoOf(`repo-hand-${i}`);
    for (const repo of [agentRepo, handRepo]) await callDaemon(socket, 'backup.repo.init', { repo });
    // every run is a first backup: no hash index from the run before
    await rm(path.join(node.vzroot, 'backup', 'hashes'), { recursive: true, force: true });
    // the agent's CPU: the daemon's own (the manifest) plus its reaped children's (restic, cp, mount)
    const agentCpu = () => cpuSeconds(daemon!.pid!);
    const agentSide = async () => {
      log(`run ${i + 1}/${RUNS}: agent ve.backup.create`);
      const c0 = agentCpu();
      const [r, ms] = await timed(() => callDaemon(socket, 've.backup.create', { ctid, repo: agentRepo }, phases));
      return { r, ms, cpu: agentCpu() - c0, phases: lastPhases };
    };
    const handSide = async () => {
      log(`run ${i + 1}/${RUNS}: restic by hand on a fresh copy of the VE tree`);
      await handCopy(node!.vzroot, ctid);
      try { return await byHand(handRepo, handTree); } finally { await dropHandCopy(); }
    };
    // odd runs by hand first, even runs agent first: drift in the machine's load falls on both sides
    const both = async () => {
      if (i % 2) { const a = await agentSide(); return { a, h: await handSide() }; }
      const h = await handSide();
      return { a: await agentSide(), h };
    };
    const { a: { r: first, ms: firstMs, cpu: firstCpu, phases: firstPhases }, h: hand } = await both();
    await callDaemon(socket, 've.exec', { ctid, script: `head -c 8388608 /dev/urandom > /data/changed-8m-${i}; sync` });
    const { a: { r: incr, ms: incrMs, cpu: incrCpu, phases: incrPhases }, h: handIncr } = await both();
    const row = {
      firstBackup: { agentMs: round(firstMs), handMs: round(hand.ms), ratio: round(firstMs / hand.ms, 3), agentCpuS: round(firstCpu), handCpuS: round(hand.cpu), cpuRatio: round(firstCpu / hand.cpu, 3), bytesAdded: first.bytesAdded, handBytesAdded: hand.added, copyMode: first.copyMode, pauseMs: first.pauseMs, manifestFiles: first.manifestFiles, phases: firstPhases },
      incremental: { agentMs: round(incrMs), handMs: round(handIncr.ms), overheadMs: round(incrMs - handIncr.ms), agentCpuS: round(incrCpu), handCpuS: round(handIncr.cpu), bytesAdded: incr.bytesAdded, handBytesAdded: handIncr.added, pauseMs: incr.pauseMs, phases: incrPhases },
    };
    process.stdout.write(`run ${i + 1} (${i % 2 ? 'agent' : 'by hand'} first; ${(await run('uptime', [])).stdout.trim().replace(/.*load/, 'load')}): first ${row.firstBackup.agentMs} ms vs by hand ${row.firstBackup.handMs} ms (ratio ${row.firstBackup.ratio}; CPU ${row.firstBackup.agentCpuS} s vs ${row.firstBackup.handCpuS} s, ratio ${row.firstBackup.cpuRatio}); incremental ${row.incremental.agentMs} ms vs ${row.incremental.handMs} ms (CPU ${row.incremental.agentCpuS} s vs ${row.incremental.handCpuS} s)\n`);
    runs.push(row);
    for (const repo of [agentRepo, handRepo]) await rm(repo.path, { recursive: true, force: true });
  }
  const snap = await callDaemon(socket, 've.snapshot.create', { ctid });
  const stat = (xs: number[]) => ({ median: round(median(xs), 3), min: round(Math.min(...xs), 3), max: round(Math.max(...xs), 3) });
  const rows = {
    host: os.hostname(), cpus: os.cpus().length, daemonBin: process.env.VZ_AGENTD_BIN ?? 'agents/bin/vzagentd', uptimeBefore: loadBefore, uptime: (await run('uptime', [])).stdout.trim(), repo: REPO, fillMiB: FILL_MIB, diskGiB: DISK_GIB, runs: RUNS,
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
