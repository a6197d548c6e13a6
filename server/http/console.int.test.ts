// The web console end to end: real LXC VE, real vzagentd, real Postgres, the panel's HTTP server
// (without Next) and a real `ws` client; the node reached over the local child and over real sshd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { WebSocket } from 'ws';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makeTestNode, type TestNode } from '@/agents/src/lxc/test-env';
import { createVe } from '@/agents/src/lxc/create';
import { startVe } from '@/agents/src/lxc/power';
import { lxcAttach } from '@/agents/src/lxc/lxc-cli';
import { withUndo } from '@/agents/src/sys/undo';
import { ensureLocalDaemon, type LocalDaemon } from '@/server/nodes/local-daemon';
import { closeAll, getTransport } from '@/server/nodes/pool';
import type { SshTransport } from '@/server/nodes/ssh/transport';
import { nodeSpec } from '@/server/nodes/spec';
import { loadOrCreatePanelKey, restrictedAuthorizedKeysLine } from '@/server/nodes/ssh/keys';
import { createSession, SESSION_COOKIE } from '@/server/services/auth/sessions';
import { issueConsoleTicket } from '@/server/services/console/tickets';
import { startTestSshd, type TestSshd } from '@/test/fixtures/sshd';
import { createTestAccount, type TestAccount } from '@/test/fixtures/accounts';
import { seedUser, uniq } from '@/test/fixtures/panel';
import { createHttpServer } from './server';
import { runMigrations } from 'graphile-worker';
import { closeTaskEvents } from '@/server/operations/tasks/events';
import { requestSuspend } from '@/server/services/billing/suspension';
import { revokeSessionToken } from '@/server/services/auth/sessions';
import { createApiKey, revokeApiKey } from '@/server/services/auth/apiKeys';
import { setCustomerDisabled } from '@/server/services/customers';
import { startPanelProcess, type PanelProcess } from '@/test/fixtures/panel-process';
import { ensureAgentBuilt } from '@/test/fixtures/agent-build';

const REPO = path.resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;

let db: TestDatabase;
let tn: TestNode | undefined;
let daemon: LocalDaemon | undefined;
let sshd: TestSshd | undefined;
let keyDir: string | undefined;
let base: string;
let closeServer: () => Promise<void>;
let ctid: number;
let nodeId: string;
const ids = { veA: '', veB: '' };
const cookies = { admin: '', alice: '', bob: '' };
const userIds = { admin: '', alice: '' };
const prevDataDir = process.env.VZPANEL_DATA_DIR;
const prevDbUrl = process.env.DATABASE_URL;
let otherPanel: PanelProcess | undefined;
let account: TestAccount | undefined; // the node's agent SSH account: the SSH console logs in as it, never as root

interface Term {
  ws: WebSocket;
  text(): string;
  control: Array<Record<string, unknown>>;
  waitFor(re: RegExp, ms?: number): Promise<void>;
  type(s: string): void;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens /ws/console/<veId>; resolves with the HTTP status of a refused upgrade, or the open terminal. */
function connect(veId: string, opts: { cookie?: string; ticket?: string; origin?: string; query?: string; at?: string } = {}): Promise<{ status: number; term?: Term }> {
  const q = new URLSearchParams(opts.query ?? '');
  if (opts.ticket) q.set('ticket', opts.ticket);
  const url = `${(opts.at ?? base).replace('http', 'ws')}/ws/console/${veId}${q.size ? `?${q}` : ''}`;
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.origin) headers.origin = opts.origin;
  const ws = new WebSocket(url, { headers });
  let out = '';
  const control: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  ws.on('message', (m, isBinary) => {
    if (isBinary) out += m.toString();
    else control.push(JSON.parse(m.toString()));
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  const term: Term = {
    ws, control, closed,
    text: () => out,
    type: (s) => ws.send(Buffer.from(s), { binary: true }),
    waitFor: (re, ms = 20_000) => new Promise((resolve, reject) => {
      const check = () => { if (re.test(out)) { waiters.delete(check); clearTimeout(t); resolve(); } };
      const t = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for ${re}; screen: ${JSON.stringify(out.slice(-500))}`)); }, ms);
      waiters.add(check);
      check();
    }),
  };
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => { resolve({ status: res.statusCode ?? 0 }); ws.terminate(); });
    ws.on('open', () => resolve({ status: 101, term }));
    ws.on('error', (e) => reject(e));
  });
}

const lxcpath = () => path.join(tn!.vzroot, 'lxc');

/** pid -> command line of every process inside the VE (seen by the VE's own ps). */
async function veProcesses(): Promise<Map<number, string>> {
  const r = await lxcAttach(ctid, lxcpath(), ['ps', '-o', 'pid,args']);
  const m = new Map<number, string>();
  for (const line of r.stdout.split('\n').slice(1)) {
    const [pid, ...args] = line.trim().split(/\s+/);
    if (pid && !/^ps -o/.test(args.join(' '))) m.set(Number(pid), args.join(' '));
  }
  return m;
}

/** Host processes still working for a console of this VE (script and lxc-attach running the console's login shell). */
function hostConsoleProcesses(): number[] {
  const out: number[] = [];
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const cmd = readFileSync(`/proc/${ent}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes('exec "$shell" -l') && cmd.includes(String(ctid))) out.push(Number(ent));
    } catch { /* exited */ }
  }
  return out;
}

async function eventually(fn: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 100))) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
  }
}

beforeAll(async () => {
  await ensureAgentBuilt(); // the daemon must know console.prepare
  db = await createTestDatabase();
  process.env.DATABASE_URL = db.url; // consoles LISTEN for revocations on the panel's database
  tn = await makeTestNode();
  ctid = randomInt(50000, 60000);
  await withUndo((u) => createVe(tn!, { ostemplate: 'busybox', ctid, hostname: 'console.test', ips: [tn!.ip()], gateway: '10.199.3.1', ram: 128 * MiB, numproc: 64, diskspace: 64 * MiB, diskinodes: 8192 }, u));
  await withUndo((u) => startVe(tn!, ctid, u));
  account = await createTestAccount();
  chmodSync(tn.vzroot, 0o711); // the agent account reaches the socket under it
  daemon = await ensureLocalDaemon({ vzroot: tn.vzroot, bridge: tn.bridge, env: { VZ_SOCKET_GROUP: account.name } });

  const node = await db.prisma.node.create({ data: { name: uniq('cons'), address: '127.0.0.1', transport: 'local', vzroot: tn.vzroot, state: 'online' } });
  nodeId = node.id;
  const template = await db.prisma.template.create({ data: { name: uniq('busybox'), os: 'busybox', version: '1', arch: 'x86_64', sizeBytes: 1n, sha256: '0'.repeat(64) } });
  const [admin, alice, bob] = await Promise.all([seedUser(db.prisma, 'admin'), seedUser(db.prisma), seedUser(db.prisma)]);
  userIds.admin = admin.id;
  userIds.alice = alice.id;
  // veA is real and Alice's; veB is Bob's and exists only in the panel (its ctid is on no node)
  ids.veA = (await db.prisma.ve.create({ data: { ctid, hostname: 'console.test', nodeId, templateId: template.id, ownerId: alice.id, state: 'running' } })).id;
  ids.veB = (await db.prisma.ve.create({ data: { ctid: ctid + 100_000, hostname: 'other.test', nodeId, templateId: template.id, ownerId: bob.id, state: 'running' } })).id;
  for (const [k, u] of [['admin', admin], ['alice', alice], ['bob', bob]] as const) {
    cookies[k] = `${SESSION_COOKIE}=${(await createSession(db.prisma, u.id)).token}`;
  }

  const { server, wss } = createHttpServer({ prisma: db.prisma });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeServer = async () => {
    for (const c of wss.clients) c.terminate();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
}, 240_000);

afterAll(async () => {
  await closeServer?.().catch(() => undefined);
  await otherPanel?.stop().catch(() => undefined);
  await closeTaskEvents();
  if (prevDbUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = prevDbUrl;
  await closeAll();
  await sshd?.destroy().catch(() => undefined);
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  if (prevDataDir === undefined) delete process.env.VZPANEL_DATA_DIR;
  else process.env.VZPANEL_DATA_DIR = prevDataDir;
  await daemon?.stop('SIGKILL').catch(() => undefined);
  await tn?.cleanup();
  await db?.drop();
  await account?.remove();
}, 120_000);

/** The whole user-visible session: arithmetic, a resize seen by stty, and no process left after the tab closes. */
async function consoleSession(cookie: string) {
  const before = await veProcesses();
  const { status, term } = await connect(ids.veA, { cookie, query: 'cols=90&rows=20' });
  expect(status).toBe(101);
  const t = term!;
  await eventually(() => t.control.some((c) => c.type === 'ready'), 20_000, 'ready');
  t.type('echo $((6*7))\n');
  await t.waitFor(/\r\n42\r\n/);
  t.type('stty size\n');
  await t.waitFor(/\r\n20 90\r\n/);
  // one newline translation (the VE's pty) once the console is ready: exact bytes, no \r\r\n
  expect(t.text().slice(t.text().indexOf('42'))).not.toContain('\r\r\n');
  t.ws.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }));
  await new Promise((r) => setTimeout(r, 300));
  t.type('stty size\n');
  await t.waitFor(/\r\n30 100\r\n/);
  // a foreground and a background job of the console's shell: both must go with the tab
  const marker = randomInt(100_000, 999_999);
  t.type(`sleep ${marker} & sleep ${marker + 1}\n`);
  await eventually(async () => [...(await veProcesses()).values()].filter((a) => a.startsWith('sleep')).length === 2, 10_000, 'sleeps running');
  expect([...(await veProcesses()).values()].some((a) => /sh -l$/.test(a))).toBe(true);
  expect(hostConsoleProcesses().length).toBeGreaterThan(0);

  t.ws.close();
  await t.closed;
  await eventually(async () => {
    const now = await veProcesses();
    return [...now.keys()].every((pid) => before.has(pid));
  }, 10_000, 'VE processes back to what they were before the console');
  await eventually(() => hostConsoleProcesses().length === 0, 10_000, 'no lxc-attach/script/vzagent console left on the host');
}

describe('web console over the local transport', () => {
  it('admin: runs a command, resizes, and closing the tab ends the shell inside the VE', async () => {
    await consoleSession(cookies.admin);
    const rows = await db.prisma.auditLog.findMany({ where: { action: 'console.open', targetId: ids.veA, actorId: userIds.admin } });
    expect(rows).toEqual([expect.objectContaining({ outcome: 'success', targetType: 've', actorType: 'user', ip: '127.0.0.1' })]);
  }, 90_000);

  it('the owning customer opens their VE; another customer gets 404 (like a missing VE); anonymous 401; a foreign origin 403', async () => {
    const own = await connect(ids.veA, { cookie: cookies.alice });
    expect(own.status).toBe(101);
    await own.term!.waitFor(/\$ /);
    own.term!.ws.close();

    expect((await connect(ids.veB, { cookie: cookies.alice })).status).toBe(404);
    expect((await connect('00000000-0000-4000-8000-000000000000', { cookie: cookies.alice })).status).toBe(404);
    expect((await connect(ids.veA, { cookie: cookies.bob })).status).toBe(404);
    expect((await connect(ids.veA, {})).status).toBe(401);
    expect((await connect(ids.veA, { cookie: `${SESSION_COOKIE}=forged` })).status).toBe(401);
    expect((await connect(ids.veA, { cookie: cookies.admin, origin: 'https://evil.example' })).status).toBe(403);
    const denied = await db.prisma.auditLog.findMany({ where: { action: 'console.open', outcome: 'denied', actorId: userIds.alice } });
    expect(denied.map((r) => r.targetId)).toEqual(expect.arrayContaining([ids.veB]));
    await own.term!.closed;
  }, 60_000);

  it('a billing ticket opens its own VE once; reused 401, on another VE 404', async () => {
    const t1 = await issueConsoleTicket(db.prisma, ids.veA, {});
    const r = await connect(ids.veA, { ticket: t1.ticket });
    expect(r.status).toBe(101);
    // typed before "ready": held by the agent until the shell runs
    r.term!.type('echo $((6*7))\n');
    await r.term!.waitFor(/\r\n42\r\n/);
    r.term!.ws.close();
    expect((await connect(ids.veA, { ticket: t1.ticket })).status).toBe(401);
    const t2 = await issueConsoleTicket(db.prisma, ids.veA, {});
    expect((await connect(ids.veB, { ticket: t2.ticket })).status).toBe(404);
    expect((await connect(ids.veA, { ticket: t2.ticket })).status).toBe(401); // burnt by the wrong-VE attempt
    const rows = await db.prisma.auditLog.findMany({ where: { action: 'console.open', details: { path: ['via'], equals: 'ticket' } } });
    expect(rows.map((x) => x.outcome).sort()).toEqual(['denied', 'denied', 'denied', 'success']);
    expect(JSON.stringify(rows)).not.toContain(t1.ticket);
    await r.term!.closed;
  }, 60_000);

  it('a VE the node does not run: the socket opens for an authorized admin and closes with the node error', async () => {
    const { status, term } = await connect(ids.veB, { cookie: cookies.admin });
    expect(status).toBe(101);
    const c = await term!.closed;
    expect(c.code).toBe(4404);
    expect(term!.control).toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND' })]);
  }, 30_000);
});

describe('an open console ends with its right (within 2 s, whichever panel process holds it)', () => {
  /** Opens a console and waits for the shell prompt. */
  async function openShell(opts: Parameters<typeof connect>[1]): Promise<Term> {
    const r = await connect(ids.veA, opts);
    expect(r.status).toBe(101);
    await r.term!.waitFor(/[$#] /);
    return r.term!;
  }

  /** Runs `revoke` and expects the console to close with 4403 and a FORBIDDEN frame within 2 s. */
  async function closesWithin2s(t: Term, revoke: () => Promise<unknown>, why: RegExp) {
    const t0 = Date.now();
    await revoke();
    const c = await Promise.race([t.closed, new Promise<null>((r) => setTimeout(() => r(null), 2000 - (Date.now() - t0)))]);
    expect(c, 'console still open 2 s after the right ended').not.toBeNull();
    expect(c!.code).toBe(4403);
    expect(t.control).toContainEqual(expect.objectContaining({ type: 'error', code: 'FORBIDDEN', message: expect.stringMatching(why) }));
  }

  it('billing suspension closes the customer console open in another panel process; the admin console stays; reopening is refused', async () => {
    otherPanel = await startPanelProcess(db.url);
    await runMigrations({ connectionString: db.url }); // suspend queues its node task (no worker runs it here)
    const customer = await openShell({ cookie: cookies.alice, at: otherPanel.base });
    const support = await openShell({ cookie: cookies.admin });
    try {
      await closesWithin2s(customer, () => requestSuspend(db.prisma, { role: 'apiKey' }, ids.veA, { reason: 'unpaid' }), /suspended/);
      support.type('echo $((7*6))\n');
      await support.waitFor(/\r\n42\r\n/);
      expect((await connect(ids.veA, { cookie: cookies.alice, at: otherPanel.base })).status).toBe(403);
      expect((await connect(ids.veA, { cookie: cookies.alice })).status).toBe(403);
    } finally {
      support.ws.close();
      await db.prisma.task.deleteMany({ where: { veId: ids.veA } });
      await db.prisma.ve.update({ where: { id: ids.veA }, data: { state: 'running', suspendedAt: null, suspendReason: null, suspendMode: null } });
    }
    await support.closed;
  }, 60_000);

  // The rule (services/console/tickets.ts consoleOpens): a network-only suspension is for abuse; the VE runs, the
  // console carries no network traffic, and it is how the owner cleans the VE up, so it stays theirs.
  it('a network-only suspension keeps the owner console open and usable', async () => {
    const customer = await openShell({ cookie: cookies.alice });
    try {
      await requestSuspend(db.prisma, { role: 'apiKey' }, ids.veA, { reason: 'abuse', networkOnly: true });
      const c = await Promise.race([customer.closed, new Promise<null>((r) => setTimeout(() => r(null), 2500))]);
      expect(c, 'the owner console closed on a network-only suspension').toBeNull();
      customer.type('echo $((6*7))\n');
      await customer.waitFor(/\r\n42\r\n/);
      expect((await connect(ids.veA, { cookie: cookies.alice })).status).toBe(101);
    } finally {
      customer.ws.close();
      await db.prisma.task.deleteMany({ where: { veId: ids.veA } });
      await db.prisma.ve.update({ where: { id: ids.veA }, data: { state: 'running', suspendedAt: null, suspendReason: null, suspendMode: null, prevPowerState: null } });
    }
  }, 60_000);

  it('logging out closes the consoles that session opened', async () => {
    const s = await createSession(db.prisma, userIds.alice);
    const t = await openShell({ cookie: `${SESSION_COOKIE}=${s.token}`, at: otherPanel?.base });
    await closesWithin2s(t, () => revokeSessionToken(db.prisma, s.token), /session ended/);
  }, 30_000);

  it('disabling the account closes its consoles, billing-ticket ones on its VEs too', async () => {
    const viaSession = await openShell({ cookie: cookies.alice });
    const viaTicket = await openShell({ ticket: (await issueConsoleTicket(db.prisma, ids.veA, {})).ticket });
    try {
      await closesWithin2s(viaSession, () => setCustomerDisabled(db.prisma, userIds.alice, true), /session ended|disabled/);
      const c = await Promise.race([viaTicket.closed, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
      expect(c?.code).toBe(4403);
    } finally {
      await setCustomerDisabled(db.prisma, userIds.alice, false);
      cookies.alice = `${SESSION_COOKIE}=${(await createSession(db.prisma, userIds.alice)).token}`;
    }
  }, 30_000);

  it('revoking the billing key closes the consoles opened with its tickets', async () => {
    const key = await createApiKey(db.prisma, { name: uniq('whmcs'), scopes: ['ves:read'] });
    const t = await openShell({ ticket: (await issueConsoleTicket(db.prisma, ids.veA, { apiKeyId: key.id })).ticket, at: otherPanel?.base });
    await closesWithin2s(t, () => revokeApiKey(db.prisma, key.id), /API key was revoked/);
  }, 30_000);
});

describe('web console over SSH (real sshd, restricted key with forced `vzagent rpc`)', () => {
  it('the same session rides an exec channel of the pooled connection', async () => {
    keyDir = mkdtempSync('/tmp/vz-cons-key-');
    process.env.VZPANEL_DATA_DIR = keyDir; // nodeSpec() loads the panel key from here
    const key = loadOrCreatePanelKey();
    const forced = `${REPO}/agents/bin/vzagent rpc --socket ${daemon!.socket}`;
    sshd = await startTestSshd({ authorizedKeys: [restrictedAuthorizedKeysLine(key.publicKey, forced)] });
    await db.prisma.node.update({ where: { id: nodeId }, data: { transport: 'ssh', address: sshd.host, sshPort: sshd.port, sshUser: account!.name, hostKey: sshd.hostPublicKey } });
    const logins = () => sshd!.log().split('\n').filter((l) => l.includes('Accepted publickey')).length;
    await consoleSession(cookies.admin);
    await consoleSession(cookies.alice);
    expect(logins()).toBe(1); // both consoles were channels on one pooled connection
  }, 120_000);

  it('the forced command refuses a console request that is not exactly "vzagent console <ctid>"', async () => {
    const node = await db.prisma.node.findUniqueOrThrow({ where: { id: nodeId } });
    const t = getTransport(nodeId, nodeSpec(node)) as SshTransport;
    for (const cmd of [`vzagent console ${ctid};id`, `vzagent console ${ctid} --socket /tmp/x`, 'vzagent console 99']) {
      const ch = await t.exec(cmd);
      let err = '';
      ch.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      ch.resume();
      const code = await new Promise<number>((r) => ch.once('exit', (c: number) => r(c)));
      expect(code, cmd).toBe(2);
      expect(err).toMatch(/refused/);
    }
    expect(hostConsoleProcesses()).toEqual([]);
  }, 60_000);
});
