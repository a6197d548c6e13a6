// The panel talks to a real vzagentd through a real sshd with the restricted panel key; and a node bootstrap end to end.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { startTestSshd, type TestSshd, testKeyPair } from '@/test/fixtures/sshd';
import { AppError } from '@/server/errors';
import { AgentClient } from '../client';
import { loadOrCreatePanelKey, restrictedAuthorizedKeysLine, type PanelKey } from './keys';
import { SshTransport } from './transport';
import { bootstrapNode, type BootstrapOptions } from './bootstrap';
import { createTestAccount, removeAccount, testAccountName, type TestAccount } from '@/test/fixtures/accounts';
import { FrameDecoder, type ConsoleFrame } from '@/agents/protocol/console';

const REPO = path.resolve(import.meta.dirname, '../../..');
const AGENTS = path.join(REPO, 'agents');

interface TestAgent { vzroot: string; socket: string; proc: ChildProcess }
const agents: TestAgent[] = [];
const sshds: TestSshd[] = [];
const transports: SshTransport[] = [];
const clients: AgentClient[] = [];
const dirs: string[] = [];
const pidFiles: string[] = [];
const accounts: TestAccount[] = [];
const agentUsers: string[] = [];
let login: TestAccount; // RPC tests log in as a uid-0 alias with shell /bin/sh: never the machine's own root dotfiles

const tmp = (prefix: string) => { const d = mkdtempSync(prefix); dirs.push(d); return d; };
const accepted = (s: TestSshd) => s.log().split('\n').filter((l) => l.includes('Accepted publickey')).length;
const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0);

function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

async function startAgent(): Promise<TestAgent> {
  const vzroot = tmp('/tmp/vz-ssh-');
  const socket = path.join(vzroot, 'run', 'vzagentd.sock');
  const proc = spawn(path.join(AGENTS, 'bin', 'vzagentd'), ['--vzroot', vzroot, '--socket', socket], { stdio: 'ignore' });
  const a = { vzroot, socket, proc };
  agents.push(a);
  for (let i = 0; i < 100 && !(await socketAnswers(socket)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await socketAnswers(socket))) throw new Error('test vzagentd did not start');
  return a;
}

/** Forced command wrapper: counts its own runs in `counter`, then becomes `vzagent rpc`. */
function forcedWrapper(dir: string, name: string, socket: string): { command: string; counter: string } {
  const counter = path.join(dir, `${name}.runs`);
  const command = path.join(dir, `${name}.sh`);
  writeFileSync(command, `#!/bin/sh\necho run >> '${counter}'\nexec '${AGENTS}/bin/vzagent' rpc --socket '${socket}'\n`, { mode: 0o755 });
  return { command, counter };
}

function sshClient(s: TestSshd, key: PanelKey, pinned = s.hostKeyFingerprint, opts: ConstructorParameters<typeof SshTransport>[1] = {}, username?: string) {
  const t = new SshTransport({ name: 'n1', host: s.host, port: s.port, username: username ?? login.name, hostKeyFingerprint: pinned, privateKey: key.privateKey }, opts);
  const c = new AgentClient(t, { node: 'n1', readTimeoutMs: 15_000 });
  transports.push(t);
  clients.push(c);
  return { t, c };
}

/** Console frames from a stream until it closes or `ms` pass. */
function decodeFrames(s: Duplex, ms: number): Promise<ConsoleFrame[]> {
  const dec = new FrameDecoder();
  const frames: ConsoleFrame[] = [];
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); resolve(frames); };
    const timer = setTimeout(done, ms);
    s.on('data', (b: Buffer) => frames.push(...dec.push(b)));
    s.once('close', done);
    s.once('end', done);
  });
}

function firstLine(s: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    s.on('data', (b: Buffer) => { buf += b.toString(); const i = buf.indexOf('\n'); if (i >= 0) resolve(buf.slice(0, i)); });
    s.once('close', () => reject(new Error(`closed: ${buf}`)));
  });
}

let key: PanelKey;
let agent: TestAgent;
let node: TestSshd;
let impostor: TestSshd;
let nodeRuns: string;
let impostorRuns: string;

beforeAll(async () => {
  if (!existsSync(path.join(AGENTS, 'dist', 'vzagentd.js'))) execFileSync('node', [path.join(AGENTS, 'build.mjs')], { cwd: REPO });
  const dir = tmp('/tmp/vz-ssh-');
  key = loadOrCreatePanelKey(path.join(dir, 'data'));
  login = await createTestAccount({ root: true });
  accounts.push(login);
  agent = await startAgent();
  const w1 = forcedWrapper(dir, 'node', agent.socket);
  const w2 = forcedWrapper(dir, 'impostor', agent.socket);
  nodeRuns = w1.counter;
  impostorRuns = w2.counter;
  node = await startTestSshd({ authorizedKeys: [restrictedAuthorizedKeysLine(key.publicKey, w1.command)] });
  sshds.push(node);
  impostor = await startTestSshd({ authorizedKeys: [restrictedAuthorizedKeysLine(key.publicKey, w2.command)] });
  sshds.push(impostor);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(transports.map((t) => t.close()));
  await Promise.allSettled(sshds.map((s) => s.destroy()));
  for (const a of agents) a.proc.kill('SIGTERM');
  for (const f of pidFiles) {
    try { process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGTERM'); } catch { /* not running */ }
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const a of accounts) await a.remove();
  for (const u of agentUsers) await removeAccount(u);
});

describe('agent over SSH (real sshd, real vzagentd)', () => {
  it('answers hello and node.info, and the second call reuses the one connection', async () => {
    const before = accepted(node);
    const { t, c } = sshClient(node, key);
    const hello = await c.call('hello', {});
    expect(hello.protocolVersion).toBeGreaterThan(0);
    expect(hello.capabilities.cgroup).toMatch(/^v[12]$/);
    const info = await c.call('node.info', {});
    expect(info.cpus).toBeGreaterThan(0);
    expect(info.disk.path).toBe(agent.vzroot);
    await c.call('node.info', {});
    expect(t.connectCount).toBe(1);
    expect(accepted(node) - before).toBe(1);
    expect(lines(nodeRuns)).toBeGreaterThanOrEqual(1);
  });

  it('refuses a node whose address answers with another host key; nothing is sent and nothing runs', async () => {
    const runsBefore = lines(impostorRuns);
    const { t, c } = sshClient(impostor, key, node.hostKeyFingerprint);
    const err = await c.call('hello', {}).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('FORBIDDEN');
    expect((err as AppError).data?.reason).toBe('HOST_KEY_MISMATCH');
    expect(t.connectCount).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(impostor.log()).not.toMatch(/Accepted|Postponed|publickey|session opened/i);
    expect(lines(impostorRuns)).toBe(runsBefore);
    expect(runsBefore).toBe(0);
  });

  it('lets the restricted key run only the agent: exec("id") gets vzagent rpc, and no pty', async () => {
    const { t } = sshClient(node, key);
    const ch = await t.exec('id');
    ch.write(`${JSON.stringify({ id: 7, method: 'hello', params: {} })}\n`);
    const reply = JSON.parse(await firstLine(ch));
    expect(reply.id).toBe(7);
    expect(reply.result.agentVersion).toBeTruthy();
    ch.close();
    const conn = await t.connection();
    const ptyErr = await new Promise<Error | undefined>((resolve) => conn.exec('id', { pty: true }, (e, s) => { s?.close(); resolve(e); }));
    expect(ptyErr?.message).toMatch(/pseudo-terminal|pty/i);
  });

  it('fails fast with NODE_OFFLINE while sshd is down, and works again after it restarts', async () => {
    const { t, c } = sshClient(node, key, node.hostKeyFingerprint, { connectDeadlineMs: 5_000 });
    await c.call('hello', {});
    await node.stop();
    const t0 = Date.now();
    const err = await c.call('node.info', {}).then(() => undefined, (e: unknown) => e);
    expect((err as AppError).code).toBe('NODE_OFFLINE');
    expect(Date.now() - t0).toBeLessThan(10_000);
    await node.restart();
    let info;
    for (let i = 0; i < 20 && !info; i++) {
      info = await c.call('node.info', {}).catch(() => undefined);
      if (!info) await new Promise((r) => setTimeout(r, 500));
    }
    expect(info?.cpus).toBeGreaterThan(0);
    expect(t.connectCount).toBe(2);
  });

  it('drops a hung node (sshd frozen, TCP still open) via keepalive: the call fails NODE_OFFLINE instead of hanging', async () => {
    const { t, c } = sshClient(node, key, node.hostKeyFingerprint, { keepaliveIntervalMs: 1_000, keepaliveCountMax: 2, readyTimeoutMs: 2_000, connectDeadlineMs: 3_000 });
    await c.call('hello', {});
    node.freeze();
    try {
      const t0 = Date.now();
      const err = await c.call('node.info', {}).then(() => undefined, (e: unknown) => e);
      expect((err as AppError).code).toBe('NODE_OFFLINE');
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(t.state).toBe('offline');
    } finally {
      node.thaw();
    }
    let info;
    for (let i = 0; i < 20 && !info; i++) {
      info = await c.call('node.info', {}).catch(() => undefined);
      if (!info) await new Promise((r) => setTimeout(r, 500));
    }
    expect(info?.cpus).toBeGreaterThan(0);
  });
});

// A root login whose dotfiles this test controls (a uid-0 alias with its own HOME), never the machine's own root.
async function adminAccount(bashrc?: string) {
  const a = await createTestAccount({ root: true, bashrc });
  accounts.push(a);
  return a;
}

/** A node to bootstrap: its own sshd (admin key authorized), paths traversable by the agent account, a fresh agent account name. */
async function bootstrapTarget() {
  const root = tmp('/tmp/vz-node-');
  chmodSync(root, 0o711);
  const admin = testKeyPair('admin');
  const target = await startTestSshd({ authorizedKeys: [admin.public] });
  sshds.push(target);
  const installRoot = path.join(root, 'opt');
  pidFiles.push(path.join(installRoot, 'vzagentd.pid'));
  const agentUser = testAccountName();
  agentUsers.push(agentUser);
  const opts: BootstrapOptions = {
    installRoot, vzroot: path.join(root, 'vz'), unitPath: path.join(root, 'etc', 'vzagentd.service'), agentUser, agentHome: path.join(root, 'home'),
    authorizedKeysPath: target.authorizedKeysPath, packages: false, startWith: 'direct',
  };
  return { root, admin, target, installRoot, agentUser, opts };
}

describe('node bootstrap over SSH', () => {
  it('installs the agent with a one-time admin key, then the node works with only the restricted key, as the agent account', async () => {
    const { root, admin, target, installRoot, agentUser, opts } = await bootstrapTarget();
    const root0 = await adminAccount();
    const steps: string[] = [];
    const t0 = Date.now();
    const res = await bootstrapNode(
      { host: target.host, port: target.port, hostKeyFingerprint: target.hostKeyFingerprint, admin: { username: root0.name, privateKey: admin.private }, panelKey: key },
      // both present on every test machine: checks them with dpkg-query and installs nothing
      { ...opts, packages: ['rsync', 'openssh-server'], onStep: (s) => steps.push(`${Date.now() - t0} ${s}`) },
    );
    expect(res.startedBy).toBe('direct');
    expect(res.agentUser).toBe(agentUser);
    expect(execFileSync('getent', ['passwd', agentUser], { encoding: 'utf8' })).toMatch(/:\/bin\/sh\n$/);
    expect(res.hello).toMatchObject({ protocolVersion: expect.any(Number) });
    expect(steps.some((s) => s.endsWith('verify with the restricted key'))).toBe(true);
    expect(steps.some((s) => s.includes('apt-get'))).toBe(false);
    const ak = readFileSync(target.authorizedKeysPath, 'utf8');
    expect(ak).toContain(admin.public.trim()); // the admin's own access is left alone
    expect(ak).toContain(`restrict,command="${installRoot}/bin/vzagent rpc --socket ${root}/vz/run/vzagentd.sock"`);
    expect(readFileSync(path.join(root, 'etc', 'vzagentd.service'), 'utf8')).toContain(`ExecStart=${installRoot}/bin/vzagentd --vzroot ${root}/vz --socket ${root}/vz/run/vzagentd.sock --socket-group ${agentUser}`);
    // migration keys land where sshd looks for the agent account's keys
    expect(readFileSync(path.join(root, 'etc', 'vzagentd.service'), 'utf8')).toContain(`Environment=VZ_MIGRATE_AUTHORIZED_KEYS=${target.authorizedKeysPath}`);

    const firstPid = Number(readFileSync(path.join(installRoot, 'vzagentd.pid'), 'utf8'));
    // Now the admin key is gone; only the restricted panel key remains on the node.
    target.setAuthorizedKeys(ak.split('\n').filter((l) => l.startsWith('restrict,')));
    const { c } = sshClient(target, key, target.hostKeyFingerprint, {}, agentUser);
    const info = await c.call('node.info', {});
    expect(info.disk.path).toBe(path.join(root, 'vz'));
    // the agent account cannot get a shell through the restricted key: exec runs the agent whatever is asked
    expect(target.log()).toContain(`Accepted publickey for ${agentUser}`);

    // Bootstrapping again is idempotent: still exactly one panel line.
    target.setAuthorizedKeys([admin.public, ...ak.split('\n').filter((l) => l.startsWith('restrict,'))]);
    await bootstrapNode(
      { host: target.host, port: target.port, hostKeyFingerprint: target.hostKeyFingerprint, admin: { username: root0.name, privateKey: admin.private }, panelKey: key },
      opts,
    );
    expect(readFileSync(target.authorizedKeysPath, 'utf8').split('\n').filter((l) => l.includes('vzpanel'))).toHaveLength(1);
    // and it did not start a second daemon: the recorded pid is still the first one, alive
    const pid = Number(readFileSync(path.join(installRoot, 'vzagentd.pid'), 'utf8'));
    expect(pid).toBe(firstPid);
    expect(() => process.kill(pid, 0)).not.toThrow();
  });

  it('refuses to bootstrap a host whose key is not the pinned one, before using the admin credential', async () => {
    const admin = testKeyPair('admin');
    const other = await startTestSshd({ authorizedKeys: [admin.public] });
    sshds.push(other);
    const err = await bootstrapNode(
      { host: other.host, port: other.port, hostKeyFingerprint: node.hostKeyFingerprint, admin: { username: 'root', privateKey: admin.private }, panelKey: key },
      { installRoot: path.join(tmp('/tmp/vz-node-'), 'opt'), packages: false, startWith: 'direct' },
    ).then(() => undefined, (e: unknown) => e);
    expect((err as AppError).code).toBe('FORBIDDEN');
    expect((err as AppError).data?.reason).toBe('HOST_KEY_MISMATCH');
    expect(other.log()).not.toMatch(/Accepted|publickey/i);
  });

  it('refuses a root login whose .bashrc sleeps 30 s and prints a banner, naming the cause, within the probe deadline', async () => {
    const { target, admin, opts } = await bootstrapTarget();
    const slow = await adminAccount('echo "Welcome to node7"\nsleep 30\n');
    const t0 = Date.now();
    const err = await bootstrapNode(
      { host: target.host, port: target.port, hostKeyFingerprint: target.hostKeyFingerprint, admin: { username: slow.name, privateKey: admin.private }, panelKey: key },
      { ...opts, shellProbeTimeoutMs: 3_000 },
    ).then(() => undefined, (e: unknown) => e);
    expect((err as AppError).code).toBe('UNPROCESSABLE');
    expect((err as AppError).message).toMatch(/did not run a command within 3 s.*startup files/);
    expect((err as AppError).data?.reason).toBe('SHELL_STALLED');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('refuses a root login whose .bashrc prints a banner, quoting it', async () => {
    const { target, admin, opts } = await bootstrapTarget();
    const chatty = await adminAccount('echo "Welcome to node7"\n');
    const err = await bootstrapNode(
      { host: target.host, port: target.port, hostKeyFingerprint: target.hostKeyFingerprint, admin: { username: chatty.name, privateKey: admin.private }, panelKey: key },
      opts,
    ).then(() => undefined, (e: unknown) => e);
    expect((err as AppError).message).toMatch(/printed 'Welcome to node7'/);
    expect((err as AppError).data?.reason).toBe('SHELL_PRINTS');
  });

  it('once bootstrapped, RPC and the console channel go through the agent account at normal speed even when root\'s .bashrc sleeps 30 s and prints', async () => {
    const { target, admin, opts, agentUser } = await bootstrapTarget();
    const root0 = await adminAccount();
    await bootstrapNode(
      { host: target.host, port: target.port, hostKeyFingerprint: target.hostKeyFingerprint, admin: { username: root0.name, privateKey: admin.private }, panelKey: key },
      opts,
    );
    // root's dotfiles go bad after the bootstrap (a pyenv lock, a banner): the panel never runs them
    writeFileSync(path.join(root0.home, '.bashrc'), 'echo "Welcome to node7"\nsleep 30\n');
    const { t, c } = sshClient(target, key, target.hostKeyFingerprint, {}, agentUser);
    const t0 = Date.now();
    const hello = await c.call('hello', {});
    expect(hello.protocolVersion).toBeGreaterThan(0);
    await c.call('node.info', {});
    expect(Date.now() - t0).toBeLessThan(5_000);
    // The console request reaches the daemon through the unprivileged bridge: a framed answer, no banner, no lxc-attach as the account.
    const ch = await t.openConsoleStream(987654);
    const frames = await decodeFrames(ch.stream, 5_000);
    expect(frames[0]).toMatchObject({ type: 'error' });
    expect(JSON.stringify(frames[0])).not.toMatch(/Welcome|permission denied/i);
    ch.close();
  });

  it('gives up on a node that stalls halfway through (sshd frozen after the shell probe) at the admin deadline, instead of hanging', async () => {
    const { target, admin, opts } = await bootstrapTarget();
    const root0 = await adminAccount();
    const t0 = Date.now();
    const err = await bootstrapNode(
      { host: target.host, port: target.port, hostKeyFingerprint: target.hostKeyFingerprint, admin: { username: root0.name, privateKey: admin.private }, panelKey: key },
      { ...opts, adminDeadlineMs: 4_000, onStep: (s) => { if (s === 'copy agent') target.freeze(); } },
    ).then(() => undefined, (e: unknown) => e).finally(() => target.thaw());
    expect((err as AppError).message).toMatch(/did not finish within 4 s/);
    expect((err as AppError).data?.reason).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
