// vzctl snapshot, snapshot-list, snapshot-switch, snapshot-delete (OpenVZ 7) against a real vzagentd and
// a running LXC VE. The VE area here is on ext4, so this also covers the sparse-copy fallback.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { makeTestNode, type TestNode } from '../lxc/test-env';
import { callDaemon } from './daemon-client';
import { ensureAgentBuilt } from '@/test/fixtures/agent-build';

const repo = path.resolve(import.meta.dirname, '..', '..', '..');
let node: TestNode;
let daemon: LocalDaemon;
let socket: string;
let ctid: number;

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
const inVe = async (script: string) => (await callDaemon(socket, 've.exec', { ctid, script, timeoutSec: 30 })).stdout;

beforeAll(async () => {
  await ensureAgentBuilt();
  node = await makeTestNode({ ctidBase: 21000, ctidCount: 1000, bridgePrefix: 'vzbka', net: '10.199.121', tmpPrefix: '/tmp/bka-vz-' });
  socket = path.join(node.vzroot, 'run', 'vzagentd.sock');
  daemon = await ensureLocalDaemon({ vzroot: node.vzroot, socket, bridge: node.bridge, env: { VZ_VE_NETWORKS: '10.199.0.0/16' } });
  ctid = node.ctid();
  await callDaemon(socket, 've.create', { ctid, ostemplate: 'busybox', ips: [node.ip()], diskspace: 128 * 2 ** 20, start: true });
}, 300_000);

afterAll(async () => {
  await daemon?.stop('SIGKILL');
  await node?.cleanup();
}, 120_000);

describe('vzctl snapshot commands', () => {
  it('documents the snapshot verbs in --help', async () => {
    const h = await vzctl('--help');
    for (const v of ['snapshot CTID', 'snapshot-list CTID', 'snapshot-switch CTID --id', 'snapshot-delete CTID --id']) expect(h.stdout).toContain(v);
  });

  it('creates, lists, switches to and deletes a snapshot of a running VE (sparse copy on ext4)', async () => {
    await inVe('echo one > /state; sync');
    const made = await vzctl('snapshot', String(ctid), '--name', 'first one');
    expect(made).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Snapshot \{[0-9a-f-]{36}\} of CT \d+ has been successfully created \(sparse copy, VE paused [\d.]+ ms\)/) });
    const id = /\{([0-9a-f-]{36})\}/.exec(made.stdout)![1];
    const list = await vzctl('snapshot-list', String(ctid));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^UUID +DATE +NAME\\n\\{${id}\\} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d first one\\n$`));
    expect((await vzctl('snapshot-list', String(ctid), '-H')).stdout).not.toMatch(/UUID/);

    await inVe('echo two > /state; sync');
    const sw = await vzctl('snapshot-switch', String(ctid), '--id', `{${id}}`);
    expect(sw.code).toBe(0);
    expect(await inVe('cat /state')).toBe('one\n');

    expect((await vzctl('snapshot-delete', String(ctid), '--id', id)).code).toBe(0);
    expect((await vzctl('snapshot-list', String(ctid), '-H')).stdout).toBe('');
    const gone = await vzctl('snapshot-switch', String(ctid), '--id', id);
    expect(gone.code).toBe(167);
    expect(gone.stderr).toMatch(/has no snapshot/);
  }, 300_000);

  it('refuses bad input with a usage error', async () => {
    expect((await vzctl('snapshot-switch', String(ctid))).code).toBe(2);
    expect((await vzctl('snapshot-delete', String(ctid), '--id', 'nope')).stderr).toMatch(/UUID/);
    expect((await vzctl('snapshot', String(ctid), '--frob', 'x')).code).toBe(2);
  });
});
