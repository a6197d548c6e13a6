// Backups against a real vzagentd, real LXC VEs on an XFS (reflink) VE area, real restic, and a real
// sshd on 127.0.79.x as the SFTP repository host.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepoSpec } from '@/agents/protocol/methods/backup';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { startTestSshd, type TestSshd } from '@/test/fixtures/sshd';
import { FrameDecoder } from '@/agents/protocol/console';
import { callDaemon } from '../cli/daemon-client';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { run } from '../sys/exec';
import { vePaths } from '../sys/paths';
import { manifestOf } from './manifest';
import { copyCapability } from './pit';
import { resticEnv } from './repo';
import { ensureAgentBuilt } from '@/test/fixtures/agent-build';

const exec = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
const MiB = 2 ** 20;
let tmp: string;
let xfsImg: string;
let xfsMnt: string;
let node: TestNode;
let daemon: LocalDaemon;
let socket: string;
let sshd: TestSshd;
let sftp: RepoSpec & { kind: 'sftp' };
let ctid: number;

const call: typeof callDaemon = (...a) => callDaemon(...a);
const sh = (c: number, script: string) => call(socket, 've.exec', { ctid: c, script, timeoutSec: 60 });
const startDaemon = async () => {
  daemon = await ensureLocalDaemon({ vzroot: node.vzroot, socket, bridge: node.bridge, env: { VZ_VE_NETWORKS: '10.199.0.0/16' } });
};
/** The VE answers a write at once: it is running and its filesystem is not frozen. */
async function expectRunningAndWritable(c: number) {
  expect((await call(socket, 've.status', { ctid: c })).status).toBe('running');
  const r = await call(socket, 've.exec', { ctid: c, script: 'echo ok > /tmp-check && sync && cat /tmp-check', timeoutSec: 10 });
  expect(r.stdout.trim()).toBe('ok');
}
/** restic as an admin runs it on the repository (no agent in between). */
const byHand = () => ['-r', `sftp:root@${sshd.host}:${sftp.path}`, '-o', `sftp.command=ssh -F /dev/null -i ${tmp}/id -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p ${sshd.port} root@${sshd.host} -s sftp`];
const resticBy = async (args: string[]) => JSON.parse((await exec('restic', [...byHand(), ...args], { env: resticEnv(tmp, sftp.password), maxBuffer: 64 * MiB })).stdout) as { id: string }[];
const errOf = (p: Promise<unknown>) => p.then(() => ({ code: 'none', message: '' }), (e: { code: string; message: string }) => ({ code: e.code, message: e.message }));
const secretPrefix = () => `vzbk-${createHash('sha256').update(node.vzroot).digest('hex').slice(0, 8)}-`;
/** Processes naming a call's secret folder: its SSH master ('ssh: /dev/shm/vzbk-…/cm [mux]') and sessions. */
const sshOfCalls = () => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).flatMap((n) => {
  try {
    const cmd = readFileSync(`/proc/${n}/cmdline`, 'utf8');
    return cmd.includes(`/dev/shm/${secretPrefix()}`) ? [`pid ${n}: ${cmd.replace(/\0/g, ' ').slice(0, 120)}`] : [];
  } catch {
    return []; // exited meanwhile
  }
});
const leftovers = () => [
  ...readdirSync(path.join(node.vzroot, 'backup', 'work')).map((n) => `work/${n}`),
  ...(existsSync(path.join(node.vzroot, 'private', '.vzbackup')) ? readdirSync(path.join(node.vzroot, 'private', '.vzbackup')) : []),
  // the repository's key and known_hosts exist only during a call
  ...readdirSync('/dev/shm').filter((n) => n.startsWith(secretPrefix())),
  // and so does its SSH connection (the master exits a moment after `ssh -O exit` answers)
  ...sshOfCalls(),
];
const noLeftovers = () => expect.poll(leftovers, { timeout: 5000, interval: 100 }).toEqual([]);
/** Logins sshd accepted so far (LogLevel VERBOSE logs each one). */
const logins = () => (sshd.log().match(/Accepted publickey for /g) ?? []).length;

beforeAll(async () => {
  await ensureAgentBuilt();
  tmp = mkdtempSync('/tmp/bka-');
  // The VE area on XFS with reflink, as the fast path needs
  xfsImg = path.join(tmp, 'xfs.img');
  xfsMnt = path.join(tmp, 'xfs');
  await run('truncate', ['-s', '4G', xfsImg]);
  await run('mkfs.xfs', ['-q', '-m', 'reflink=1', xfsImg]);
  await mkdir(xfsMnt);
  await run('mount', ['-o', 'loop', xfsImg, xfsMnt]);
  // VEs run with shifted ids: their root must be able to traverse to the VE area
  await run('chmod', ['0711', tmp, xfsMnt]);
  node = await makeTestNode({ ctidBase: 79000, ctidCount: 1000, bridgePrefix: 'vzbk3', net: '10.199.79', tmpPrefix: `${xfsMnt}/vz-` });
  socket = path.join(node.vzroot, 'run', 'vzagentd.sock');
  await startDaemon();
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(tmp, 'id')]);
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(tmp, 'other')]);
  sshd = await startTestSshd({ host: `127.0.79.${randomInt(2, 250)}`, authorizedKeys: [readFileSync(path.join(tmp, 'id.pub'), 'utf8').trim()] });
  sftp = {
    kind: 'sftp', host: sshd.host, port: sshd.port, user: 'root', path: path.join(tmp, 'repo'),
    hostKey: sshd.hostPublicKey, privateKey: readFileSync(path.join(tmp, 'id'), 'utf8'), password: `pw-${randomBytes(8).toString('hex')}`,
  };
  ctid = node.ctid();
  await call(socket, 've.create', { ctid, ostemplate: 'busybox', ips: [node.ip()], diskspace: 256 * MiB, start: true });
}, 300_000);

afterAll(async () => {
  await daemon?.stop('SIGKILL');
  await node?.cleanup();
  await sshd?.destroy();
  if (xfsMnt) await run('umount', ['-l', xfsMnt], { allowFail: true });
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 120_000);

describe('backups of a running VE over SFTP', () => {
  it('reports the reflink copy mode of the XFS VE area, and the sparse fallback elsewhere, with reasons', async () => {
    const info = await call(socket, 'node.info', {});
    expect(info.backup, JSON.stringify(info.backup)).toMatchObject({ copyMode: 'reflink', filesystem: 'xfs' });
    expect((await call(socket, 'hello', {})).capabilities.features).toEqual(expect.arrayContaining(['ve-backup', 've-snapshot', 'reflink-copy']));
    const plain = path.join(tmp, 'ext-root');
    const cap = await copyCapability(plain);
    if (cap.filesystem !== 'xfs' && cap.filesystem !== 'btrfs') expect(cap).toMatchObject({ copyMode: 'sparse', reason: expect.stringMatching(/cannot clone/) });
  });

  let first: Awaited<ReturnType<typeof callDaemon<'ve.backup.create'>>>;
  it('backs up while a process writes, with a short pause, and restores into a new VE whose files equal the manifest', async () => {
    expect((await call(socket, 'backup.repo.init', { repo: sftp })).created).toBe(true);
    expect((await call(socket, 'backup.repo.init', { repo: sftp })).created).toBe(false);
    await sh(ctid, 'mkdir -p /data && head -c 3000000 /dev/urandom > /data/base');
    await sh(ctid, "setsid sh -c 'echo $$ > /writer.pid; i=0; while true; do i=$((i+1)); head -c 65536 /dev/urandom > /data/live.$((i%8)); done' </dev/null >/dev/null 2>&1 &");
    const loginsBefore = logins();
    first = await call(socket, 've.backup.create', { ctid, repo: sftp, veId: 've-one' });
    // one SSH connection served the check, the listing, both restic runs and the id lookup
    expect(logins() - loginsBefore).toBe(1);
    expect(first).toMatchObject({ ctid, copyMode: 'reflink', manifestDigest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(first.pauseMs).toBeGreaterThan(0);
    expect(first.bytesAdded).toBeGreaterThan(3_000_000);
    await expectRunningAndWritable(ctid);
    await noLeftovers();
    const listed = await call(socket, 've.backup.list', { repo: sftp, ctid });
    expect(listed.snapshots.map((s) => s.id)).toEqual([first.snapshotId]);
    // a first backup stores the tree while hashing it, then adds the manifest on top: the tree-only
    // pass stays in the repository (sharing all its data) but is never listed as a backup
    const all = await resticBy(['snapshots', '--json']) as unknown as { id: string; tags?: string[] }[];
    expect(all.map((s) => s.id)).toContain(first.snapshotId);
    expect(all.filter((s) => s.id !== first.snapshotId).map((s) => s.tags)).toEqual([['vzpanel-tree', `ctid:${ctid}`]]);
    expect(listed.snapshots[0]).toMatchObject({ ctid, veId: 've-one', manifestDigest: first.manifestDigest });

    const other = node.ctid();
    await call(socket, 've.create', { ctid: other, ostemplate: 'busybox', ips: [node.ip()], diskspace: 256 * MiB, hostname: 'other-ve' });
    const r = await call(socket, 've.backup.restore', { ctid: other, repo: sftp, snapshotId: first.shortId, start: false });
    expect(r).toMatchObject({ ctid: other, snapshotId: first.snapshotId, manifestDigest: first.manifestDigest, status: 'stopped' });
    expect(r.verifiedFiles).toBe(first.manifestFiles);
    // independently: the restored disk against the manifest stored in the repository
    const stored = (await exec('restic', [...byHand(), 'dump', first.snapshotId, '/manifest.sha256'], { env: resticEnv(tmp, sftp.password), maxBuffer: 64 * MiB })).stdout;
    await call(socket, 've.mount', { ctid: other });
    const got = await manifestOf(vePaths(node.vzroot, other).root);
    await call(socket, 've.umount', { ctid: other });
    const own = /\.\/etc\/(hostname|hosts|resolv\.conf)$/; // the new VE keeps its own name and resolver
    expect(got.text.split('\n').filter((l) => !own.test(l))).toEqual(stored.split('\n').filter((l) => !own.test(l)));
    expect(got.text).toMatch(/\.\/data\/base\n/);
    await call(socket, 've.start', { ctid: other });
    expect((await sh(other, 'hostname; head -c 3000000 /data/base | md5sum')).stdout).toMatch(/^other-ve\n/);
  }, 600_000);

  it('an incremental backup after an 8 MiB change adds about 8 MiB', async () => {
    await sh(ctid, 'kill $(cat /writer.pid); sleep 0.2; head -c 8388608 /dev/urandom > /data/new8m; sync');
    const loginsBefore = logins();
    const second = await call(socket, 've.backup.create', { ctid, repo: sftp, veId: 've-one' });
    expect(logins() - loginsBefore).toBe(1);
    await noLeftovers();
    expect(second.parentId).toBe(first.snapshotId);
    expect(second.bytesAdded).toBeGreaterThanOrEqual(8 * MiB);
    expect(second.bytesAdded).toBeLessThan(8 * MiB + 2 * MiB);
  }, 300_000);

  it('names an unreachable repository, a wrong host key, a refused key and a wrong password, and the VE keeps running unfrozen', async () => {
    await call(socket, 'backup.repo.init', { repo: sftp }); // idempotent: this test also runs alone
    const cases: [RepoSpec, string][] = [
      [{ ...sftp, port: sshd.port === 65535 ? 65534 : sshd.port + 1 }, 'REPO_UNREACHABLE'],
      [{ ...sftp, hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' }, 'REPO_HOST_KEY_MISMATCH'],
      [{ ...sftp, hostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 'REPO_HOST_KEY_MISMATCH'],
      [{ ...sftp, privateKey: readFileSync(path.join(tmp, 'other'), 'utf8') }, 'REPO_AUTH_FAILED'],
      [{ ...sftp, password: 'not-the-password' }, 'REPO_WRONG_PASSWORD'],
    ];
    for (const [repo, code] of cases) {
      const e = await errOf(call(socket, 've.backup.create', { ctid, repo }));
      expect({ code: e.code, plain: e.message.length > 10 }).toEqual({ code, plain: true });
      await expectRunningAndWritable(ctid);
      await noLeftovers(); // no key file and no SSH connection left, whichever way the call failed
    }
    expect((await errOf(call(socket, 've.backup.restore', { ctid, repo: sftp, snapshotId: 'deadbeef' }))).code).toBe('SNAPSHOT_NOT_FOUND');
    await noLeftovers();
  }, 300_000);

  it('fails with REPO_FULL on a full repository disk, local or over SFTP, leaving the VE running and unfrozen', async () => {
    const small = path.join(tmp, 'small');
    await run('truncate', ['-s', '24M', `${small}.img`]);
    await run('mkfs.ext4', ['-q', '-F', `${small}.img`]);
    await mkdir(small);
    await run('mount', ['-o', 'loop', `${small}.img`, small]);
    try {
      const local: RepoSpec = { kind: 'local', path: path.join(small, 'repo'), password: 'small-pw' };
      const remote: RepoSpec = { ...sftp, path: path.join(small, 'srepo') };
      for (const repo of [local, remote]) await call(socket, 'backup.repo.init', { repo });
      expect((await sh(ctid, 'mkdir -p /data && head -c 41943040 /dev/urandom > /data/big')).exitCode).toBe(0);
      for (const repo of [local, remote]) {
        const e = await errOf(call(socket, 've.backup.create', { ctid, repo }));
        expect({ kind: repo.kind, ...e }).toMatchObject({ kind: repo.kind, code: 'REPO_FULL', message: expect.stringMatching(/repository is full/) });
        await expectRunningAndWritable(ctid);
        await noLeftovers();
      }
    } finally {
      await sh(ctid, 'rm -f /data/big');
      await run('umount', ['-l', small], { allowFail: true });
    }
  }, 300_000);

  it('survives the agent being killed -9 mid-upload: restic check passes, nothing is left mounted, the next backup works', async () => {
    await sh(ctid, 'head -c 67108864 /dev/urandom > /data/big2');
    let uploading!: () => void;
    const seen = new Promise<void>((r) => { uploading = r; });
    const pending = errOf(call(socket, 've.backup.create', { ctid, repo: sftp }, {
      opId: `bka-kill-${randomBytes(4).toString('hex')}`,
      onNotification: (n) => { if (n.method === 'progress' && n.params.message === 'uploading') uploading(); },
    }));
    await seen;
    await daemon.stop('SIGKILL');
    expect((await pending).code).toBe('INTERNAL'); // the connection dropped
    await startDaemon();
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(path.join(node.vzroot, 'backup'));
    await noLeftovers();
    await expectRunningAndWritable(ctid);
    const check = await call(socket, 'backup.repo.check', { repo: sftp });
    expect(check).toMatchObject({ ok: true });
    const next = await call(socket, 've.backup.create', { ctid, repo: sftp });
    expect(next.bytesAdded).toBeGreaterThan(0);
    expect((await call(socket, 'backup.repo.check', { repo: sftp, readDataPercent: 10 })).ok).toBe(true);
    await sh(ctid, 'rm -f /data/big2');
  }, 600_000);

  it('an agent killed -9 mid-restore leaves the VE running its old data, and the restore works when run again', async () => {
    await call(socket, 'backup.repo.init', { repo: sftp }); // idempotent: this test also runs alone
    await sh(ctid, 'mkdir -p /data && echo backed-up > /data/which; sync');
    const b = await call(socket, 've.backup.create', { ctid, repo: sftp });
    await sh(ctid, 'echo newer > /data/which; sync');
    let restoring!: () => void;
    const seen = new Promise<void>((r) => { restoring = r; });
    const pending = errOf(call(socket, 've.backup.restore', { ctid, repo: sftp, snapshotId: b.snapshotId }, {
      opId: `bka-rkill-${randomBytes(4).toString('hex')}`,
      onNotification: (n) => { if (n.method === 'progress' && /^restoring backup/.test(n.params.message ?? '')) restoring(); },
    }));
    await seen;
    await daemon.stop('SIGKILL');
    await pending;
    await startDaemon();
    await expectRunningAndWritable(ctid);
    expect((await sh(ctid, 'cat /data/which')).stdout).toBe('newer\n');
    expect(readdirSync(vePaths(node.vzroot, ctid).private).filter((n) => n.includes('.restore-'))).toEqual([]);
    await noLeftovers();
    const r = await call(socket, 've.backup.restore', { ctid, repo: sftp, snapshotId: b.snapshotId });
    expect(r).toMatchObject({ ctid, status: 'running', manifestDigest: b.manifestDigest });
    expect((await sh(ctid, 'cat /data/which')).stdout).toBe('backed-up\n');
  }, 600_000);

  it('thaws a VE filesystem left frozen by a killed agent when the agent starts', async () => {
    const root = vePaths(node.vzroot, ctid).root;
    await mkdir(path.join(node.vzroot, 'backup', 'freeze'), { recursive: true });
    writeFileSync(path.join(node.vzroot, 'backup', 'freeze', `${ctid}.json`), JSON.stringify({ ctid, root }));
    await daemon.stop('SIGKILL');
    await run('fsfreeze', ['-f', root]);
    try {
      await startDaemon();
      await expectRunningAndWritable(ctid);
    } finally {
      await run('fsfreeze', ['-u', root], { allowFail: true });
    }
  }, 120_000);

  it('streams a backup as a tarball once per token', async () => {
    const { token, command } = await call(socket, 've.backup.export', { repo: sftp, snapshotId: first.snapshotId });
    expect(command).toBe(`vzagent backup-export ${token}`);
    const get = () => new Promise<{ code: number; frames: ReturnType<FrameDecoder['push']>; stderr: string }>((resolve) => {
      const c = spawn(path.join(repoRoot, 'agents/bin/vzagent'), ['backup-export', token, '--socket', socket]);
      const dec = new FrameDecoder();
      const frames: ReturnType<FrameDecoder['push']> = [];
      let stderr = '';
      c.stdout.on('data', (b: Buffer) => frames.push(...dec.push(b)));
      c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      c.on('close', (code) => resolve({ code: code ?? -1, frames, stderr }));
      c.stdin.end();
    });
    const r = await get();
    expect(r.frames.at(-1)).toEqual({ type: 'exit', code: 0, signal: null });
    const tar = Buffer.concat(r.frames.flatMap((f) => (f.type === 'data' ? [f.data] : [])));
    const list = await new Promise<string>((resolve, reject) => {
      const t = spawn('tar', ['-t']);
      let out = '';
      t.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      t.on('error', reject);
      t.on('close', () => resolve(out));
      t.stdin.end(tar);
    });
    expect(list.split('\n')).toEqual(expect.arrayContaining(['ve/data/base', 've/etc/passwd']));
    const again = await get();
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/unknown or already used/);
  }, 300_000);

  it('forgets by retention per VE and prunes', async () => {
    const before = (await call(socket, 've.backup.list', { repo: sftp, ctid })).snapshots;
    expect(before.length).toBeGreaterThan(1);
    const r = await call(socket, 've.backup.forget', { repo: sftp, ctid, keepLast: 1 });
    expect(r.kept).toEqual([before.at(-1)!.id]);
    expect(r.removed.sort()).toEqual(before.slice(0, -1).map((s) => s.id).sort());
    expect(r.pruned).toBe(true);
    expect((await call(socket, 've.backup.list', { repo: sftp, ctid })).snapshots.map((s) => s.id)).toEqual([before.at(-1)!.id]);
    expect((await errOf(call(socket, 've.backup.forget', { repo: sftp, ctid, snapshotIds: ['deadbeef'] }))).code).toBe('SNAPSHOT_NOT_FOUND');
    // The node remembers its last backup as the next parent; once that is forgotten, the next backup
    // finds the newest listed one (none here) instead of failing, and is remembered in turn.
    await call(socket, 've.backup.forget', { repo: sftp, ctid, snapshotIds: [before.at(-1)!.id] });
    const next = await call(socket, 've.backup.create', { ctid, repo: sftp });
    expect(next.parentId).toBeUndefined();
    expect((await call(socket, 've.backup.create', { ctid, repo: sftp })).parentId).toBe(next.snapshotId);
  }, 300_000);
});

describe('local snapshots', () => {
  it('creates, rolls back (stop, swap, start), limits and deletes snapshots of a running VE', async () => {
    await sh(ctid, 'echo before > /data/marker; sync');
    const a = await call(socket, 've.snapshot.create', { ctid, name: 'before change', maxCount: 2 });
    expect(a).toMatchObject({ ctid, name: 'before change', copyMode: 'reflink' });
    await expectRunningAndWritable(ctid);
    await sh(ctid, 'echo after > /data/marker; touch /data/after-snap; sync');
    const rb = await call(socket, 've.snapshot.rollback', { ctid, id: a.id });
    expect(rb).toMatchObject({ ctid, id: a.id, status: 'running' });
    expect((await sh(ctid, 'cat /data/marker; ls /data/after-snap 2>&1')).stdout).toMatch(/^before\n.*No such file/);
    const b = await call(socket, 've.snapshot.create', { ctid, maxCount: 2 });
    expect((await errOf(call(socket, 've.snapshot.create', { ctid, maxCount: 2 }))).code).toBe('SNAPSHOT_LIMIT');
    expect((await call(socket, 've.snapshot.list', { ctid })).snapshots.map((s) => s.id)).toEqual([a.id, b.id]);
    expect(await call(socket, 've.snapshot.delete', { ctid, id: a.id })).toEqual({ ctid, id: a.id, deleted: true });
    expect((await call(socket, 've.snapshot.list', { ctid })).snapshots.map((s) => s.id)).toEqual([b.id]);
    expect((await errOf(call(socket, 've.snapshot.rollback', { ctid, id: a.id }))).code).toBe('SNAPSHOT_NOT_FOUND');
    await noLeftovers();
  }, 300_000);
});
