// SshTransport against real OpenSSH servers; the forced command is a tiny echo script (the agent is tested in agent-ssh.int.test.ts).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { startTestSshd, type TestSshd } from '@/test/fixtures/sshd';
import { AppError } from '@/server/errors';
import { loadOrCreatePanelKey, restrictedAuthorizedKeysLine, type PanelKey } from './keys';
import { SshTransport } from './transport';
import { fetchHostKey } from './hostkey';
import { createTestAccount, type TestAccount } from '@/test/fixtures/accounts';

let dir: string;
let key: PanelKey;
let node: TestSshd;
let impostor: TestSshd;
let forced: string;
let marker: string;
const transports: SshTransport[] = [];
let login: TestAccount; // a uid-0 login with shell /bin/sh: never the machine's own root dotfiles

const accepted = (s: TestSshd) => s.log().split('\n').filter((l) => l.includes('Accepted publickey')).length;

// Line queue per stream: attached once, so no chunk is emitted while nobody listens.
const readers = new WeakMap<Duplex, { lines: string[]; waiters: ((l: string) => void)[]; closed: boolean; buf: string }>();
function readLine(ch: Duplex): Promise<string> {
  let r = readers.get(ch);
  if (!r) {
    const st = { lines: [] as string[], waiters: [] as ((l: string) => void)[], closed: false, buf: '' };
    r = st;
    readers.set(ch, st);
    ch.on('data', (b: Buffer) => {
      st.buf += b.toString('utf8');
      let i;
      while ((i = st.buf.indexOf('\n')) >= 0) {
        const line = st.buf.slice(0, i);
        st.buf = st.buf.slice(i + 1);
        const w = st.waiters.shift();
        if (w) w(line); else st.lines.push(line);
      }
    });
  }
  const st = r;
  const ready = st.lines.shift();
  if (ready !== undefined) return Promise.resolve(ready);
  return new Promise((resolve, reject) => {
    st.waiters.push(resolve);
    ch.once('close', () => reject(new Error(`channel closed; partial ${JSON.stringify(st.buf)}`)));
  });
}

function transport(s: TestSshd, opts: ConstructorParameters<typeof SshTransport>[1] = {}, pinned = s.hostKeyFingerprint) {
  const t = new SshTransport({ name: 'test', host: s.host, port: s.port, username: login.name, hostKeyFingerprint: pinned, privateKey: key.privateKey }, opts);
  transports.push(t);
  return t;
}

beforeAll(async () => {
  dir = mkdtempSync('/tmp/vz-ssh-');
  login = await createTestAccount({ root: true });
  key = loadOrCreatePanelKey(path.join(dir, 'data'));
  marker = path.join(dir, 'forced-ran');
  forced = path.join(dir, 'forced.sh');
  // Stand-in for `vzagent rpc`: records that it ran (and what was asked), then echoes stdin.
  writeFileSync(forced, `#!/bin/sh\necho "ran:$SSH_ORIGINAL_COMMAND" >> '${marker}'\necho "forced:$SSH_ORIGINAL_COMMAND"\nexec cat\n`, { mode: 0o755 });
  const line = restrictedAuthorizedKeysLine(key.publicKey, forced);
  node = await startTestSshd({ authorizedKeys: [line] });
  impostor = await startTestSshd({ authorizedKeys: [line] });
});

afterAll(async () => {
  await Promise.allSettled(transports.map((t) => t.close()));
  await Promise.allSettled([node?.destroy(), impostor?.destroy()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
  await login?.remove();
});

describe('SshTransport (real sshd)', () => {
  it('shows the admin the same host key fingerprint OpenSSH has', async () => {
    const hk = await fetchHostKey(node.host, node.port);
    expect(hk.fingerprint).toBe(node.hostKeyFingerprint);
    expect(hk.publicKey).toBe(node.hostPublicKey);
    expect(accepted(node)).toBe(0);
  });

  it('runs several channels over one pooled connection', async () => {
    const t = transport(node);
    const before = accepted(node);
    const a = await t.openRpcStream();
    const b = await t.openRpcStream();
    expect(await readLine(a.stream)).toBe('forced:vzagent rpc');
    expect(await readLine(b.stream)).toBe('forced:vzagent rpc');
    a.stream.write('ping-a\n');
    b.stream.write('ping-b\n');
    expect(await readLine(a.stream)).toBe('ping-a');
    expect(await readLine(b.stream)).toBe('ping-b');
    a.close();
    const c = await t.openRpcStream();
    expect(await readLine(c.stream)).toBe('forced:vzagent rpc');
    b.close();
    c.close();
    expect(t.connectCount).toBe(1);
    expect(accepted(node) - before).toBe(1);
  });

  it('refuses a host with another host key before authenticating, and nothing runs there', async () => {
    rmSync(marker, { force: true });
    // The node's address now answers with the impostor's sshd (another host key).
    const t = new SshTransport({ host: impostor.host, port: impostor.port, username: login.name, hostKeyFingerprint: node.hostKeyFingerprint, privateKey: key.privateKey });
    transports.push(t);
    const seen: unknown[] = [];
    t.on('hostKeyMismatch', (m) => seen.push(m));
    const err = await t.openRpcStream().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('FORBIDDEN');
    expect((err as AppError).data).toMatchObject({ reason: 'HOST_KEY_MISMATCH', presented: impostor.hostKeyFingerprint, pinned: node.hostKeyFingerprint });
    expect(seen).toHaveLength(1);
    expect(t.connectCount).toBe(0);
    await new Promise((r) => setTimeout(r, 300)); // let sshd flush its log
    const log = impostor.log();
    expect(log).not.toMatch(/Accepted|publickey|Failed|session/i);
    expect(log).toMatch(/Connection (closed|reset) by .* \[preauth\]|disconnect|Close/i);
    expect(existsSync(marker)).toBe(false);
  });

  it('gives the restricted key no shell and no other command, and no pty', async () => {
    rmSync(marker, { force: true });
    const t = transport(node);
    const ch = await t.exec('id; touch /tmp/vz-ssh-should-not-exist');
    expect(await readLine(ch)).toBe('forced:id; touch /tmp/vz-ssh-should-not-exist');
    ch.end();
    expect(existsSync('/tmp/vz-ssh-should-not-exist')).toBe(false);
    expect(readFileSync(marker, 'utf8')).toContain('ran:id; touch');
    const c = await t.connection();
    const ptyErr = await new Promise<Error | undefined>((resolve) => {
      c.exec('id', { pty: true }, (e, s) => { if (s) s.close(); resolve(e); });
    });
    expect(ptyErr?.message).toMatch(/pseudo-terminal|pty/i);
    const shellErr = await new Promise<Error | undefined>((resolve) => {
      c.shell((e, s) => { if (s) s.close(); resolve(e); });
    });
    expect(shellErr).toBeDefined();
    const fwdErr = await new Promise<Error | undefined>((resolve) => {
      c.forwardOut('127.0.0.1', 1, node.host, node.port, (e, s) => { if (s) s.close(); resolve(e); });
    });
    expect(fwdErr).toBeDefined();
  });

  it('fails fast with NODE_OFFLINE when sshd stops, and recovers when it is back', async () => {
    const t = transport(node, { connectDeadlineMs: 5_000 });
    const ch = await t.openRpcStream();
    await readLine(ch.stream);
    const closed = new Promise<void>((r) => ch.stream.once('close', () => r()));
    await node.stop();
    await closed; // the live channel sees the drop
    const t0 = Date.now();
    const err = await t.openRpcStream().then(() => undefined, (e: unknown) => e);
    expect((err as AppError).code).toBe('NODE_OFFLINE');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(t.state).toBe('offline');
    await node.restart();
    await new Promise((r) => setTimeout(r, 1_100)); // past the offline cooldown
    const again = await t.openRpcStream();
    expect(await readLine(again.stream)).toBe('forced:vzagent rpc');
    again.close();
    expect(t.connectCount).toBe(2);
  });

  it('reconnects after the pooled connection is dropped under it', async () => {
    const t = transport(node);
    const a = await t.openRpcStream();
    await readLine(a.stream);
    const disc = new Promise<void>((r) => t.once('disconnect', () => r()));
    node.dropSessions();
    await disc;
    const b = await t.openRpcStream();
    expect(await readLine(b.stream)).toBe('forced:vzagent rpc');
    b.close();
    expect(t.connectCount).toBe(2);
  });
});
