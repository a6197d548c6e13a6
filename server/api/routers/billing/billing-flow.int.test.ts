// The billing lifecycle for real: REST over HTTP -> tasks -> graphile worker -> vzagentd -> LXC, with
// signed webhooks delivered to a receiver on 127.0.0.1 that fails the first attempt (HTTP 500).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { uniq } from '@/test/fixtures/panel';
import { createHttpServer } from '@/server/http/server';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { API_SCOPES, createApiKey } from '@/server/services/auth/apiKeys';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';
import { verifyWebhookSignature } from '@/server/services/webhooks';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { closeAll } from '@/server/nodes/pool';
import { closeTaskEvents } from '@/server/operations/tasks/events';
import { reconcileNode } from '@/server/operations/reconciler';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let db: TestDatabase;
let N: PanelTestNode;
let worker: PanelWorker;
let api: (method: string, path: string, body?: unknown, idem?: string) => Promise<{ status: number; json: Json }>;
let closeHttp: () => Promise<void>;
let receiver: http.Server;
const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
let requestsSeen = 0;
let secret = '';
let webhookId = '';
let bigPlan = '';
let veId = '';
let ctid = 0;

beforeAll(async () => {
  process.env.VZ_WEBHOOK_BACKOFF_MS = '300';
  db = await createTestDatabase({ poolMax: 10 });
  N = await makePanelTestNode(db.prisma);
  bigPlan = (await db.prisma.plan.create({ data: { name: uniq('bigger'), ram: 128, swap: 0, diskspace: 128, diskinodes: 8192, numproc: 128, bandwidth: 20 } })).name;
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 4 });

  // The billing system's webhook endpoint: the very first request fails with 500, later ones succeed.
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requestsSeen++;
      if (requestsSeen === 1) return void res.writeHead(500).end('not now');
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const admin = await createUser(db.prisma, { email: `${uniq('admin')}@example.test`, password: 'admin password 1', role: 'admin' });
  const caller = createCaller(await createInnerContext(db.prisma, { sessionToken: (await createSession(db.prisma, admin.id)).token }));
  await caller.webhooks.setAllowedNetworks({ networks: ['127.0.0.1/32'] }); // the test receiver is on loopback
  const hook = await caller.webhooks.create({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/vzpanel`, description: 'whmcs' });
  secret = hook.secret!;
  webhookId = hook.webhook.id;

  const key = (await createApiKey(db.prisma, { name: 'whmcs', scopes: [...API_SCOPES] })).token;
  const { server } = createHttpServer({ prisma: db.prisma });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  closeHttp = () => new Promise((r) => server.close(() => r()));
  api = async (method, path, body, idem) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(idem ? { 'idempotency-key': idem } : {}) };
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Json };
  };
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await closeHttp?.();
  await new Promise((r) => receiver?.close(r));
  await closeAll();
  await closeTaskEvents();
  await N?.cleanup();
  await db?.drop();
});

async function done(taskId: string) {
  const [t] = await waitTasksDone(db.prisma, [taskId], 180_000);
  expect(t.status, `${t.type}: ${t.error ?? ''}`).toBe('succeeded');
  return t;
}
const nodeVe = async () => (await N.agent().call('ve.list', {})).ves.find((v) => v.ctid === ctid);
const veRow = () => db.prisma.ve.findUniqueOrThrow({ where: { id: veId } });

describe('billing lifecycle on a real node', () => {
  it('create (retried with the same Idempotency-Key) makes one running VE', { timeout: 240_000 }, async () => {
    expect((await api('PUT', '/customers/c-1', { email: `${uniq('c')}@example.test` })).status).toBe(200);
    const body = { customerExternalId: 'c-1', externalId: uniq('svc'), plan: N.planId, template: 'busybox', hostname: 'shop.example.test', password: 'root password 1', node: N.node.name, overrides: { ram: 96 } };
    const first = await api('POST', '/ves', body, 'k-create-1');
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(await api('POST', '/ves', body, 'k-create-1')).toEqual(first);
    veId = first.json.ve.id;
    ctid = first.json.ve.ctid;
    await done(first.json.taskId);
    expect(await N.lxcState(ctid)).toBe('RUNNING');
    expect((await veRow()).state).toBe('running');
    expect((await nodeVe())?.ips).toEqual([`${first.json.ipAddresses[0]}/24`]);
  });

  it('suspend stops it; unsuspend starts it again (the previous power state)', { timeout: 240_000 }, async () => {
    const s = await api('POST', `/ves/${veId}/suspend`, { reason: 'overdue' });
    await done(s.json.taskId);
    expect(await N.lxcState(ctid)).toBe('STOPPED');
    expect(await veRow()).toMatchObject({ state: 'suspended', suspendReason: 'overdue' });
    const u = await api('POST', `/ves/${veId}/unsuspend`, {});
    await done(u.json.taskId);
    expect(await N.lxcState(ctid)).toBe('RUNNING');
    expect(await veRow()).toMatchObject({ state: 'running', suspendedAt: null, suspendReason: null, prevPowerState: null });
  });

  it('network-only suspension removes the addresses of the running VE; unsuspend restores them and the route', { timeout: 240_000 }, async () => {
    const ips = (await nodeVe())!.ips;
    const s = await api('POST', `/ves/${veId}/suspend`, { reason: 'abuse', networkOnly: true });
    await done(s.json.taskId);
    expect(await N.lxcState(ctid)).toBe('RUNNING');
    expect((await nodeVe())!.ips).toEqual([]);
    // Running while suspended is what network-only means: the reconciler reports no drift for it.
    expect((await reconcileNode(db.prisma, N.node.id))!.issues.filter((i) => i.ctid === ctid)).toEqual([]);
    const u = await api('POST', `/ves/${veId}/unsuspend`, {});
    await done(u.json.taskId);
    expect((await nodeVe())!.ips).toEqual(ips);
    const route = await N.agent().call('ve.exec', { ctid, command: ['ip', 'route'] });
    expect(route.stdout).toMatch(/default via 10\.199\.\d+\.1/);
    // Put back live from inside the VE, not by the restart fallback.
    expect((await db.prisma.taskLog.findMany({ where: { taskId: u.json.taskId } })).map((l) => l.line).join('\n')).not.toMatch(/restarting/);
    expect((await veRow()).state).toBe('running');
  });

  it('plan change keeps the paid RAM override and applies the rest live', { timeout: 240_000 }, async () => {
    const r = await api('POST', `/ves/${veId}/plan`, { plan: bigPlan, overrides: { numproc: 200 } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.overrides).toEqual({ ram: 96, numproc: 200 });
    // The row keeps the old plan until the node confirms the new limits.
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: veId } })).limits).toMatchObject({ numproc: 64 });
    // The disk grows now only where the node can grow a mounted filesystem; the answer says which.
    const disk = r.json.changes.find((c: { field: string }) => c.field === 'diskspace');
    expect(disk.live).toBe(!r.json.needsRestart.includes('diskspace'));
    await done(r.json.taskId);
    const v = (await nodeVe())!;
    expect(v.ram).toBe(96 * 2 ** 20);
    expect(v.numproc).toBe(200);
    expect(v.diskspace).toBe(128 * 2 ** 20);
    // "live" for bandwidth is true: the node's kernel shapes the VE at the plan's 20 Mbit/s each way.
    expect(r.json.changes.find((c: { field: string }) => c.field === 'bandwidth')).toMatchObject({ to: 20, live: true });
    expect((await N.agent().call('ve.shaping', { ctid })).live).toEqual({ toVe: 20_000_000, fromVe: 20_000_000 });
    const row = await db.prisma.ve.findUniqueOrThrow({ where: { id: veId }, include: { plan: true } });
    expect({ plan: row.plan?.name, limits: row.limits }).toMatchObject({ plan: bigPlan, limits: { ram: 96, numproc: 200, diskspace: 128 } });
    const log = (await db.prisma.taskLog.findMany({ where: { taskId: r.json.taskId } })).map((l) => l.line).join('\n');
    if (!disk.live) expect(log).toMatch(/applied at the VE's next start: diskspace/);
  });

  it('hostname, root password, power and reinstall run on the node; reinstall keeps the id, CTID and addresses', { timeout: 240_000 }, async () => {
    const ips = (await nodeVe())!.ips;
    await done((await api('POST', `/ves/${veId}/hostname`, { hostname: 'renamed.example.test' })).json.taskId);
    expect((await nodeVe())!.hostname).toBe('renamed.example.test');
    const rootHash = async () => /^root:([^:]*):/m.exec((await N.agent().call('ve.exec', { ctid, command: ['cat', '/etc/shadow'] })).stdout)?.[1];
    const before = await rootHash();
    await done((await api('POST', `/ves/${veId}/password`, { password: 'another root pw 2' })).json.taskId);
    const after = await rootHash();
    expect(after).toMatch(/^\$6\$/);
    expect(after).not.toBe(before);
    await done((await api('POST', `/ves/${veId}/power`, { action: 'stop' })).json.taskId);
    expect(await N.lxcState(ctid)).toBe('STOPPED');
    await done((await api('POST', `/ves/${veId}/power`, { action: 'start' })).json.taskId);
    const re = await api('POST', `/ves/${veId}/reinstall`, { template: 'busybox', password: 'fresh root pw 3' });
    expect(re.status, JSON.stringify(re.json)).toBe(200);
    await done(re.json.taskId);
    expect(await N.lxcState(ctid)).toBe('RUNNING');
    const v = await api('GET', `/ves/${veId}`);
    expect(v.json).toMatchObject({ id: veId, ctid, state: 'running', overrides: { ram: 96, numproc: 200 } });
    expect((await nodeVe())!.ips).toEqual(ips);
  });

  it('terminate destroys it on the node and frees its addresses', { timeout: 240_000 }, async () => {
    const addr = (await db.prisma.ipAddress.findMany({ where: { veId } })).map((a) => a.address);
    expect(addr).toHaveLength(1);
    const t = await api('DELETE', `/ves/${veId}`);
    const task = await done(t.json.taskId);
    expect(await N.lxcState(ctid)).toBe('ABSENT');
    expect(await db.prisma.ve.findUnique({ where: { id: veId } })).toBeNull();
    expect(await db.prisma.ipAddress.findMany({ where: { address: { in: addr }, veId: { not: null } } })).toEqual([]);
    expect((await api('GET', `/tasks/${t.json.taskId}`)).json).toMatchObject({ status: 'succeeded', result: { releasedAddresses: 1 } });
    expect(task.type).toBe('ve.destroy');
  });

  it('webhooks: every task and suspension was delivered, HMAC-signed, the first one after a 500 retry', { timeout: 120_000 }, async () => {
    const until = Date.now() + 60_000;
    while ((await db.prisma.webhookDelivery.count({ where: { status: 'pending' } })) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    const rows = await db.prisma.webhookDelivery.findMany({ where: { webhookId }, orderBy: { createdAt: 'asc' } });
    expect(rows.every((d) => d.status === 'succeeded')).toBe(true);
    expect(rows.some((d) => d.attempts === 2 && d.responseStatus === 204)).toBe(true);
    expect(requestsSeen).toBe(rows.length + 1);
    for (const r of received) {
      expect(verifyWebhookSignature(secret, r.headers['x-vzpanel-signature'] as string, r.body)).toBe(true);
      // A changed body or another secret must not verify.
      expect(verifyWebhookSignature(secret, r.headers['x-vzpanel-signature'] as string, r.body.replace('"', ' "'))).toBe(false);
      expect(verifyWebhookSignature('whsec_other', r.headers['x-vzpanel-signature'] as string, r.body)).toBe(false);
    }
    const events = received.map((r) => JSON.parse(r.body) as Json);
    const kinds = events.map((e) => `${e.event}:${e.data.task.type}`);
    expect(kinds).toEqual(expect.arrayContaining([
      'task.succeeded:ve.create', 've.suspended:ve.billing.suspend', 've.unsuspended:ve.billing.unsuspend', 'task.succeeded:ve.set', 'task.succeeded:ve.destroy',
      've.destroyed:ve.destroy',
    ]));
    // The VE's row is gone when it is destroyed; the event still says which VE and which billing service.
    const destroyed = events.find((e) => e.event === 've.destroyed')!;
    const first = events.find((e) => e.data.task.type === 've.create')!;
    expect(destroyed.data.ve).toMatchObject({ id: veId, ctid, externalId: first.data.ve.externalId, state: 'destroyed' });
    expect(first.data.ve.externalId).toMatch(/^svc/);
    const suspended = events.find((e) => e.event === 've.suspended')!;
    expect(suspended.data.ve).toMatchObject({ id: veId, suspendReason: 'overdue', state: 'suspended' });
    expect(JSON.stringify(events)).not.toMatch(/\$6\$|root password 1/);
    const log = await createCaller(await createInnerContext(db.prisma, { sessionToken: (await createSession(db.prisma, (await db.prisma.user.findFirstOrThrow({ where: { role: 'admin' } })).id)).token }))
      .webhooks.deliveries({ webhookId });
    expect(log.total).toBe(rows.length);
  });
});
