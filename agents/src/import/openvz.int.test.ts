// The way in from OpenVZ on a real node: a synthetic OpenVZ 6 layout (a CTID.conf as vzctl writes it
// and a simfs private area) imported with the node's vzctl; the VE runs with the mapped limits.
import { execFile, spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { lxcState } from '../lxc/lxc-cli';
import { callDaemon } from '../cli/daemon-client';
import { veExists } from '../lxc/ve-store';
import { startTestSshd, type TestSshd, testKeyPair } from '@/test/fixtures/sshd';
import { createTestAccount, type TestAccount } from '@/test/fixtures/accounts';
import { ensureAgentBuilt } from '@/test/fixtures/agent-build';

const sh = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..', '..', '..');
let node: TestNode;
let daemon: LocalDaemon;
let socket: string;
let ovz: string;
let sshd: TestSshd | undefined;
let account: TestAccount | undefined;

function vzctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(path.join(repo, 'agents/bin/vzctl'), ['--socket', socket, '--vzroot', node.vzroot, ...args]);
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    c.stdin.end();
  });
}

/** An OpenVZ 6 host's layout: /etc/vz/conf/CTID.conf and /vz/private/CTID (the busybox tree plus the customer's files). */
async function openvzVe(ctid: number, conf: string): Promise<{ conf: string; private: string }> {
  const priv = path.join(ovz, 'vz/private', String(ctid));
  await mkdir(priv, { recursive: true });
  await sh('tar', ['-xzpf', path.join(node.vzroot, 'template/cache/busybox.tar.gz'), '--numeric-owner', '-C', priv]);
  await mkdir(path.join(priv, 'home/alice'), { recursive: true });
  await writeFile(path.join(priv, 'home/alice/notes.txt'), 'kept across the move\n');
  await chown(path.join(priv, 'home/alice'), 1000, 1000);
  await chown(path.join(priv, 'home/alice/notes.txt'), 1000, 1000);
  const file = path.join(ovz, 'etc/vz/conf', `${ctid}.conf`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, conf.replaceAll('@PRIVATE@', path.join(ovz, 'vz/private/$VEID')));
  return { conf: file, private: priv };
}

beforeAll(async () => {
  await ensureAgentBuilt();
  node = await makeTestNode({ ctidBase: 31000, bridgePrefix: 'vzimp', net: '10.199.131', tmpPrefix: '/tmp/vz-imp-' });
  socket = path.join(node.vzroot, 'run', 'vzagentd.sock');
  daemon = await ensureLocalDaemon({ vzroot: node.vzroot, socket, bridge: node.bridge, env: { VZ_VE_NETWORKS: '10.199.131.0/24' } });
  ovz = await mkdtemp('/tmp/vz-imp-ovz-');
});

afterAll(async () => {
  await sshd?.destroy();
  await account?.remove();
  await daemon?.stop('SIGKILL');
  await node?.cleanup();
  if (ovz) await rm(ovz, { recursive: true, force: true });
});

describe('vzctl import (OpenVZ 6, simfs)', () => {
  it('dry run prints every mapping and what is not carried; the import keeps ctid, address, files and owners; the VE runs with the mapped limits', { timeout: 240_000 }, async () => {
    const ctid = node.ctid();
    const src = await openvzVe(ctid, `# written by vzctl
PHYSPAGES="0:24576"
SWAPPAGES="0:8192"
DISKSPACE="262144:262144"
DISKINODES="65536:65536"
CPUUNITS="1500"
CPULIMIT="50"
NUMPROC="120:120"
KMEMSIZE="14372700:14790164"
VE_ROOT="/vz/root/$VEID"
VE_PRIVATE="@PRIVATE@"
OSTEMPLATE="centos-6-x86_64"
IP_ADDRESS="10.199.131.77"
HOSTNAME="moved.example.com"
NAMESERVER="10.199.131.1"
ONBOOT="yes"
`);
    const dry = await vzctl('import', String(ctid), '--conf', src.conf, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/PHYSPAGES\s+0:24576\s+ram 100663296/);
    expect(dry.stdout).toMatch(/KMEMSIZE\s+\S+\s+kernel memory is counted inside the VE's memory cgroup/);
    expect(dry.stdout).toMatch(/Ready to import\./);
    expect(await veExists(node.vzroot, ctid)).toBe(false);

    const r = await vzctl('import', String(ctid), '--conf', src.conf, '--start');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`CT ${ctid} imported \\(running\\)`));
    const lxcpath = path.join(node.vzroot, 'lxc');
    expect(await lxcState(ctid, lxcpath)).toBe('RUNNING');
    const exec = async (script: string) => (await callDaemon(socket, 've.exec', { ctid, script })).stdout.trim();
    expect(await exec('cat /home/alice/notes.txt; stat -c %u:%g /home/alice/notes.txt; hostname')).toBe('kept across the move\n1000:1000\nmoved.example.com');
    expect(await exec('ip -4 -o addr show eth0')).toMatch(/10\.199\.131\.77\/24/);
    const mem = (await readFile(`/sys/fs/cgroup/memory/lxc.payload.${ctid}/memory.limit_in_bytes`, 'utf8').catch(() => '')) ||
      (await exec('cat /sys/fs/cgroup/memory/memory.limit_in_bytes'));
    expect(Number(mem)).toBe(24576 * 4096);
    const info = (await callDaemon(socket, 've.list', {})).ves.find((v) => v.ctid === ctid)!;
    expect(info).toMatchObject({ ram: 24576 * 4096, swap: 8192 * 4096, diskspace: 262144 * 1024, diskinodes: 65536, cpuunits: 1500, cpulimit: 50, numproc: 120, onboot: true, ostemplate: 'openvz-centos-6-x86_64', nameservers: ['10.199.131.1'] });

    // The same ctid again: refused with the reason, nothing touched.
    const again = await vzctl('import', String(ctid), '--conf', src.conf);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
    expect(await lxcState(ctid, lxcpath)).toBe('RUNNING');
  });

  it('refuses what cannot work, with reasons, and leaves nothing behind: files that do not fit, an address outside the node networks, a missing tree', { timeout: 120_000 }, async () => {
    const ctid = node.ctid();
    const src = await openvzVe(ctid, `PHYSPAGES="0:65536"
DISKSPACE="40960:40960"
VE_PRIVATE="@PRIVATE@"
OSTEMPLATE="debian-7"
IP_ADDRESS="192.0.2.10"
`);
    // The busybox tree with a 40 MiB file does not fit a 40 MiB disk.
    await writeFile(path.join(src.private, 'big'), Buffer.alloc(40 * 2 ** 20, 1));
    const dry = await vzctl('import', String(ctid), '--conf', src.conf, '--dry-run');
    expect(dry.code).toBe(1);
    expect(dry.stdout).toMatch(/DISKSPACE \(40 MiB\) leaves no room for the files/);
    expect(dry.stdout).toMatch(/192\.0\.2\.10 is in none of this node's VE networks/);
    const run = await vzctl('import', String(ctid), '--conf', src.conf);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/cannot import VE \d+: DISKSPACE/);
    expect(await veExists(node.vzroot, ctid)).toBe(false);
    const missing = await vzctl('import', String(ctid), '--conf', src.conf, '--private', path.join(ovz, 'nowhere'), '--dry-run');
    expect(missing.stdout).toMatch(/is not a directory/);
    const noConf = await vzctl('import', String(ctid), '--conf', path.join(ovz, 'none.conf'));
    expect(noConf.stderr).toMatch(/no such file/);
  });

  it('imports from an OpenVZ host over SSH: lists its VEs, dry-runs, copies the tree with owners kept; a wrong host key or a refused key says so', { timeout: 240_000 }, async () => {
    const pair = testKeyPair('vzimport-test');
    // The OpenVZ host's root: a uid-0 alias with /bin/sh, so no test waits on this machine's root dotfiles.
    account = await createTestAccount({ root: true, shell: '/bin/sh' });
    sshd = await startTestSshd({ authorizedKeys: [pair.public] });
    const ctid = node.ctid();
    const src = await openvzVe(ctid, `PHYSPAGES="0:32768"
DISKSPACE="524288:524288"
VE_PRIVATE="@PRIVATE@"
OSTEMPLATE="debian-7.0-x86_64"
IP_ADDRESS="10.199.131.78"
HOSTNAME="over-ssh.example.com"
`);
    const ssh = { host: sshd.host, port: sshd.port, user: account.name, hostKey: sshd.hostPublicKey, privateKey: pair.private };
    const confDir = path.dirname(src.conf);
    const listed = await callDaemon(socket, 've.import.list', { ssh, confDir });
    expect(listed.ves.map((v) => [v.ctid, v.hostname])).toContainEqual([ctid, 'over-ssh.example.com']);
    const plan = await callDaemon(socket, 've.import.plan', { ssh, conf: src.conf });
    expect(plan).toMatchObject({ ctid, problems: [], limits: { ram: 32768 * 4096 } });
    expect(plan.usedBytes).toBeGreaterThan(1_000_000);

    const res = await callDaemon(socket, 've.import', { ssh, conf: src.conf, ctid, start: true });
    expect(res.ve).toMatchObject({ ctid, status: 'running', hostname: 'over-ssh.example.com', ram: 32768 * 4096 });
    const out = (await callDaemon(socket, 've.exec', { ctid, script: 'cat /home/alice/notes.txt; stat -c %u:%g /home/alice/notes.txt' })).stdout;
    expect(out).toBe('kept across the move\n1000:1000\n');
    // The staging copy is gone; the key never stays on the node.
    expect(await readFile(path.join(node.vzroot, 'import', String(ctid)), 'utf8').catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');

    const wrongHostKey = testKeyPair().public.split(' ').slice(0, 2).join(' ');
    await expect(callDaemon(socket, 've.import.plan', { ssh: { ...ssh, hostKey: wrongHostKey }, conf: src.conf })).rejects.toThrow(/host key .* is not the pinned one/);
    const stranger = testKeyPair();
    await expect(callDaemon(socket, 've.import.plan', { ssh: { ...ssh, privateKey: stranger.private }, conf: src.conf })).rejects.toThrow(/refused the key/);
  });
});
