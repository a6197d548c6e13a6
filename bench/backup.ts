// Backups (issue 12): the agent's first backup of a 2 GiB VE against restic run by hand on the same
// tree, the incremental after an 8 MiB change, and the VE's pause (reflink on XFS).
// Run: npx tsx bench/backup.ts [--fill-mib 1024] [--disk-gib 2] [--repo local|sftp]
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
import { parseArgs, round, timed } from './lib/stats';

const args = parseArgs(process.argv.slice(2));
const FILL_MIB = Number(args['fill-mib'] ?? 1024);
const DISK_GIB = Number(args['disk-gib'] ?? 2);
const REPO = args.repo === 'sftp' ? 'sftp' : 'local';
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

/** restic by hand, as an admin would: same binary, same tree, a fresh repository of the same kind. */
async function byHand(repo: RepoSpec, tree: string): Promise<{ ms: number; added: number }> {
  const r = repo.kind === 'local' ? ['-r', repo.path] : ['-r', `sftp:${repo.user}@${repo.host}:${repo.path}`,
    '-o', `sftp.command=ssh -F /dev/null -i ${tmp}/id -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p ${repo.port} ${repo.user}@${repo.host} -s sftp`];
  const env = resticEnv(path.join(tmp, 'hand'), repo.password);
  const [out, ms] = await timed(() => exec('restic', [...r, 'backup', '--json', '-q', tree], { env, maxBuffer: 64 * 2 ** 20 }));
  const summary = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as { data_added?: number };
  return { ms, added: summary.data_added ?? 0 };
}

try {
  await run('truncate', ['-s', `${DISK_GIB * 3 + 2}G`, xfsImg]);
  await run('mkfs.xfs', ['-q', '-m', 'reflink=1', xfsImg]);
  await mkdir(xfsMnt);
  await run('mount', ['-o', 'loop', xfsImg, xfsMnt]);
  await run('chmod', ['0711', tmp, xfsMnt]);
  node = await makeTestNode({ ctidBase: 21000, ctidCount: 1000, bridgePrefix: 'vzbka', net: '10.199.121', tmpPrefix: `${xfsMnt}/vz-` });
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
  const agentRepo = await repoOf('repo-agent');
  const handRepo = await repoOf('repo-hand');
  for (const repo of [agentRepo, handRepo]) await callDaemon(socket, 'backup.repo.init', { repo });

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

  log('restic by hand on the VE tree');
  const hand = await byHand(handRepo, tree);
  log('agent ve.backup.create');
  const phases = { onNotification: (n: Notification) => { if (n.method === 'log') log(`  agent: ${n.params.line}`); } };
  const [first, firstMs] = await timed(() => callDaemon(socket, 've.backup.create', { ctid, repo: agentRepo }, phases));

  await callDaemon(socket, 've.exec', { ctid, script: 'head -c 8388608 /dev/urandom > /data/changed-8m; sync' });
  const handIncr = await byHand(handRepo, tree);
  const [incr, incrMs] = await timed(() => callDaemon(socket, 've.backup.create', { ctid, repo: agentRepo }, phases));
  const snap = await callDaemon(socket, 've.snapshot.create', { ctid });

  const rows = {
    host: os.hostname(), cpus: os.cpus().length, uptime: (await run('uptime', [])).stdout.trim(), repo: REPO, fillMiB: FILL_MIB, diskGiB: DISK_GIB,
    firstBackup: { agentMs: round(firstMs), handMs: round(hand.ms), ratio: round(firstMs / hand.ms, 3), bytesAdded: first.bytesAdded, handBytesAdded: hand.added, copyMode: first.copyMode, pauseMs: first.pauseMs, manifestFiles: first.manifestFiles },
    incremental: { agentMs: round(incrMs), handMs: round(handIncr.ms), bytesAdded: incr.bytesAdded, handBytesAdded: handIncr.added, pauseMs: incr.pauseMs },
    snapshot: { copyMode: snap.copyMode, pauseMs: snap.pauseMs },
  };
  process.stdout.write(`first backup:  agent ${rows.firstBackup.agentMs} ms, restic by hand ${rows.firstBackup.handMs} ms, ratio ${rows.firstBackup.ratio} (goal <= 1.1); added ${first.bytesAdded} B\n`);
  process.stdout.write(`incremental:   agent ${rows.incremental.agentMs} ms (by hand ${rows.incremental.handMs} ms), added ${incr.bytesAdded} B after an 8 MiB change\n`);
  process.stdout.write(`VE pause:      backup ${first.pauseMs} ms / ${incr.pauseMs} ms (${first.copyMode}), snapshot ${snap.pauseMs} ms (goal < 1000 ms)\n`);
  const out = path.resolve(import.meta.dirname, 'results', `backup-${REPO}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
  await writeFile(out, `${JSON.stringify({ command: process.argv.slice(1).join(' '), ...rows }, null, 2)}\n`);
  log(`wrote ${out}`);
} finally {
  await cleanup();
}
