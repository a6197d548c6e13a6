// The traffic quota ladder on a real VE (own bridge 10.199.71.0/24, real tc): a 1 MB quota warns
// (webhook), throttles at 100 % (rate measured within 1.2x), cuts the network at 200 %; an admin's
// reset lifts it all but never a billing suspension; a new period lifts it too (clock driven).
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { makePanelTestNode, waitTasksDone, type PanelTestNode } from '@/test/fixtures/panel-node';
import { adminCaller } from '@/test/fixtures/panel';
import { startWorker, type PanelWorker } from '@/server/operations/worker';
import { startUsageCollector, type UsageCollector } from '@/server/operations/usage-collector';
import { closeAll } from '@/server/nodes/pool';
import { closeTaskEvents } from '@/server/operations/tasks/events';
import { requestSuspend, requestUnsuspend } from '@/server/services/billing/suspension';
import { run } from '@/agents/src/sys/exec';
import { ifbName } from '@/agents/src/net/shaping';
import { evaluateQuotas } from './quota';
import { veUsage } from './billing';
import { usageTimeline } from './timeline';
import { setAnchorDay } from './quota-state';
import { enqueueTask } from '@/server/services/tasks/enqueue';

const HOST = '10.199.71.1';
const RATE = 64_000; // bytes/s = 512 kbit/s
let db: TestDatabase;
let N: PanelTestNode;
let worker: PanelWorker;
let collector: UsageCollector;
let caller: Awaited<ReturnType<typeof adminCaller>>;
let receiver: http.Server;
let httpd: ChildProcess | undefined;
let port = 0;
let veId = '';
let ctid = 0;
const hooks: Array<{ event: string; data: Record<string, unknown> }> = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// (busybox 1.35's wget -T segfaults: the download is bounded with timeout instead.)
/** Downloads `bytes` from the host into the VE; the seconds it took (timed inside the VE), or null when it failed. */
async function download(bytes: number, timeout = 60): Promise<number | null> {
  const script = `a=$(cut -d' ' -f1 /proc/uptime); busybox timeout ${timeout} wget -q -O /dev/null http://${HOST}:${port}/f${bytes} || exit 7; b=$(cut -d' ' -f1 /proc/uptime); echo $a $b`;
  const r = await N.agent().call('ve.exec', { ctid, script, timeoutSec: timeout + 30 }, { timeoutMs: (timeout + 60) * 1000 });
  if (r.exitCode !== 0) {
    console.info(`download of ${bytes} failed (${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`);
    return null;
  }
  const [a, b] = r.stdout.trim().split(' ').map(Number);
  return b - a;
}
/** The agent's sampling period here (it was 1 s, and each pull waited 2.5 s). */
const SAMPLE_MS = 500;
/** Lets the agent sample (2.5 periods), then pulls: the ladder runs on the stored batches. */
async function pull() {
  await sleep(SAMPLE_MS * 2.5);
  await collector.tick();
}
const ladder = () => db.prisma.veUsage.findUnique({ where: { veId } });
const live = async () => (await N.agent().call('ve.shaping', { ctid })).live;
const ips = async () => (await N.agent().call('ve.list', {})).ves.find((v) => v.ctid === ctid)!.ips;
async function quotaTasksDone() {
  const ids = (await db.prisma.task.findMany({ where: { veId, type: 've.quota' }, select: { id: true } })).map((t) => t.id);
  for (const t of await waitTasksDone(db.prisma, ids, 180_000)) expect(t.status, t.error ?? '').toBe('succeeded');
}
async function hook(event: string, n = 1) {
  const until = Date.now() + 60_000;
  while (hooks.filter((h) => h.event === event).length < n && Date.now() < until) await sleep(200);
  return hooks.filter((h) => h.event === event);
}

beforeAll(async () => {
  process.env.VZ_WEBHOOK_BACKOFF_MS = '300';
  db = await createTestDatabase({ poolMax: 10 });
  N = await makePanelTestNode(db.prisma, {
    names: { ctidBase: 71_000, ctidCount: 1000, bridgePrefix: 'vzqa', net: '10.199.71', tmpPrefix: '/tmp/qa-rt-' },
    daemonEnv: { VZ_USAGE_INTERVAL_MS: String(SAMPLE_MS) },
  });
  await run('ip', ['addr', 'add', `${HOST}/24`, 'dev', N.tn.bridge]);
  const www = path.join(N.tn.vzroot, 'qa-www');
  mkdirSync(www);
  for (const s of [600_000, 500_000, 640_000, 400_000, 900_000]) writeFileSync(path.join(www, `f${s}`), randomBytes(s));
  port = 20_000 + Math.floor(Math.random() * 20_000);
  httpd = spawn('busybox', ['httpd', '-f', '-p', `${HOST}:${port}`, '-h', www], { stdio: 'ignore' });
  worker = await startWorker({ connectionString: db.url, prisma: db.prisma, concurrency: 4 });
  collector = startUsageCollector({ prisma: db.prisma, intervalMs: 3_600_000, onStored: (n) => evaluateQuotas(db.prisma, { nodeId: n.id }).then(() => undefined) });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => { hooks.push(JSON.parse(body)); res.writeHead(204).end(); });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  caller = await adminCaller(db.prisma);
  await caller.webhooks.setAllowedNetworks({ networks: ['127.0.0.1/32'] });
  await caller.webhooks.create({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['usage.traffic.warn', 'usage.traffic.throttled', 'usage.traffic.suspended', 'usage.traffic.lifted'] });
  const ve = await N.createVe();
  veId = ve.veId;
  ctid = ve.ctid;
  const [t] = await waitTasksDone(db.prisma, [ve.taskId], 180_000);
  expect(t.status, t.error ?? '').toBe('succeeded');
}, 300_000);

afterAll(async () => {
  httpd?.kill();
  await collector?.stop();
  await worker?.stop();
  await new Promise((r) => receiver?.close(r));
  await closeAll();
  await closeTaskEvents();
  await N?.cleanup();
  if (ctid) await run('ip', ['link', 'del', 'dev', ifbName(ctid)], { allowFail: true });
  await db?.drop();
}, 120_000);

describe('traffic quota ladder on a real VE', () => {
  it('a plan\'s ladder is validated: percentages 1-100, suspend above the warning, a rate tc can hold', async () => {
    const ok = { anchorDay: null, trafficQuota: 1_000_000, warnPct: 50, throttleRate: RATE, suspendPct: 200 };
    await expect(caller.usage.setPolicy({ planId: N.planId, policy: { ...ok, warnPct: 0 } })).rejects.toThrow();
    await expect(caller.usage.setPolicy({ planId: N.planId, policy: { ...ok, warnPct: 101 } })).rejects.toThrow();
    await expect(caller.usage.setPolicy({ planId: N.planId, policy: { ...ok, suspendPct: 40 } })).rejects.toThrow(/above the warning/);
    await expect(caller.usage.setPolicy({ planId: N.planId, policy: { ...ok, throttleRate: 100 } })).rejects.toThrow(/8000 bytes/);
    expect(await caller.usage.policy({ planId: N.planId })).toMatchObject({ trafficQuota: 0 });
    expect(await caller.usage.setPolicy({ planId: N.planId, policy: ok })).toEqual(ok);
  });

  it('warns once at 50 % (webhook and timeline), nothing else', { timeout: 120_000 }, async () => {
    expect(await download(600_000)).not.toBeNull();
    await pull();
    expect(await ladder()).toMatchObject({ warnedAt: expect.any(Date), throttledAt: null, suspendedAt: null });
    const [w] = await hook('usage.traffic.warn');
    expect(w.data).toMatchObject({ ve: { id: veId, ctid }, quotaBytes: 1_000_000 });
    expect(w.data.usedBytes as number).toBeGreaterThan(600_000);
    await pull();
    await sleep(1000);
    expect(hooks.filter((h) => h.event === 'usage.traffic.warn')).toHaveLength(1);
    expect(await live()).toEqual({ toVe: 0, fromVe: 0 });
  });

  it('throttles at 100 % to the plan\'s rate: the kernel shows it and a download runs within 1.2x of it', { timeout: 180_000 }, async () => {
    expect(await download(500_000)).not.toBeNull();
    await pull();
    await quotaTasksDone();
    expect(await ladder()).toMatchObject({ throttledAt: expect.any(Date), throttleRate: RATE, suspendedAt: null });
    expect(await live()).toEqual({ toVe: RATE * 8, fromVe: RATE * 8 });
    const secs = (await download(640_000))!;
    const rate = 640_000 / secs;
    console.info(`throttled download: ${Math.round(rate)} B/s against a cap of ${RATE} B/s (${(rate / RATE).toFixed(3)}x)`);
    expect(rate).toBeLessThan(RATE * 1.2);
    expect(rate).toBeGreaterThan(RATE / 1.2);
    expect((await hook('usage.traffic.throttled'))[0].data).toMatchObject({ throttleBytesPerSec: RATE });
    const q = (await caller.usage.quota({ id: veId })).quota!;
    expect(q).toMatchObject({ quotaBytes: 1_000_000, throttle: { bytesPerSec: RATE }, networkSuspended: null });
    expect((await veUsage(db.prisma, veId)).quota).toMatchObject({ throttle: { bytesPerSec: RATE } });
  });

  it('cuts the network at 200 %: traffic stops, the VE keeps running', { timeout: 180_000 }, async () => {
    expect(await download(400_000)).not.toBeNull();
    await pull();
    await quotaTasksDone();
    expect(await ladder()).toMatchObject({ suspendedAt: expect.any(Date) });
    expect(await ips()).toEqual([]);
    expect(await N.lxcState(ctid)).toBe('RUNNING');
    expect(await download(400_000, 4)).toBeNull();
    expect(await hook('usage.traffic.suspended')).toHaveLength(1);
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: veId } })).state).toBe('running');
    const text = (await usageTimeline(db.prisma, veId, new Date(Date.now() - 3_600_000), new Date(Date.now() + 60_000))).map((e) => e.text).join('\n');
    expect(text).toMatch(/Traffic passed \d+ % of the period's quota/);
    expect(text).toContain('capped at 64 kB/s');
    expect(text).toContain('the network is suspended');
  });

  it('billing\'s unsuspend leaves the quota\'s cut; an admin\'s reset lifts the throttle but leaves a billing suspension\'s cut; billing\'s unsuspend then restores it', { timeout: 240_000 }, async () => {
    const addrs = (await db.prisma.ipAddress.findMany({ where: { veId } })).map((a) => `${a.address}/24`);
    const suspend = async () => waitTasksDone(db.prisma, [(await requestSuspend(db.prisma, { role: 'admin' }, veId, { reason: 'overdue', networkOnly: true })).taskId!], 120_000);
    await suspend();
    // Billing's unsuspend while the quota's cut stands: billing's part lifts, the addresses stay off.
    await waitTasksDone(db.prisma, [(await requestUnsuspend(db.prisma, { role: 'admin' }, veId)).taskId!], 120_000);
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: veId } })).state).toBe('running');
    expect(await ips()).toEqual([]);
    await suspend();
    const r = await caller.usage.resetQuota({ id: veId });
    expect(r.lifted).toEqual({ throttle: true, network: true });
    await quotaTasksDone();
    expect(await live()).toEqual({ toVe: 0, fromVe: 0 });
    expect(await ips()).toEqual([]); // billing's cut stands
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: veId } })).state).toBe('suspended');
    expect(await ladder()).toMatchObject({ warnedAt: null, throttledAt: null, suspendedAt: null });
    expect((await hook('usage.traffic.lifted'))[0].data).toMatchObject({ reason: 'reset', throttle: true, network: true });
    const u = await requestUnsuspend(db.prisma, { role: 'admin' }, veId);
    await waitTasksDone(db.prisma, [u.taskId!], 120_000);
    expect(await ips()).toEqual(addrs);
    // Unthrottled again, and the forgiven traffic does not count: no rung is taken again.
    const secs = (await download(400_000))!;
    expect(400_000 / secs).toBeGreaterThan(RATE * 3);
    await pull();
    expect(await ladder()).toMatchObject({ warnedAt: null, throttledAt: null });
    expect((await caller.usage.quota({ id: veId })).quota!.usedBytes).toBeLessThan(500_000);
  });

  it('a new billing period lifts the throttle (clock driven to the next period start)', { timeout: 240_000 }, async () => {
    expect(await download(900_000)).not.toBeNull();
    await pull();
    await quotaTasksDone();
    expect(await live()).toEqual({ toVe: RATE * 8, fromVe: RATE * 8 });
    const q = await caller.usage.quota({ id: veId });
    const next = new Date(new Date(q.period.end).getTime() + 3_600_000);
    const out = await evaluateQuotas(db.prisma, { nodeId: N.node.id, now: next });
    expect(out.find((o) => o.veId === veId)?.lifted).toEqual({ reason: 'period', throttle: true, network: false });
    await quotaTasksDone();
    expect(await live()).toEqual({ toVe: 0, fromVe: 0 });
    expect(await ladder()).toMatchObject({ periodStart: new Date(q.period.end), throttledAt: null, warnedAt: null });
    expect((await hook('usage.traffic.lifted', 2))[1].data).toMatchObject({ reason: 'period', throttle: true });
  });

  it('billing sets and clears the VE\'s anchor day', async () => {
    expect(await setAnchorDay(db.prisma, veId, 5)).toEqual({ anchorDay: 5, source: 've' });
    expect((await veUsage(db.prisma, veId)).period.start.slice(8, 10)).toBe('05');
    expect((await setAnchorDay(db.prisma, veId, null)).source).toBe('created');
  });

  it('a step the node never took is taken off the record (so the next pull takes it again); a failed lift is said on the VE', async () => {
    await db.prisma.veUsage.update({ where: { veId }, data: { throttledAt: new Date(), throttleRate: RATE, suspendedAt: new Date() } });
    // A VE the node does not have: ve.throttle is refused at once, the task fails for good.
    const gone = ctid + 999;
    const step = await enqueueTask(db.prisma, { type: 've.quota', params: { ctid: gone, throttle: RATE * 8, network: 'cut', addresses: [], why: 'test: a step the node refuses' }, veId, ctid: gone, nodeId: N.node.id });
    const [t] = await waitTasksDone(db.prisma, [step.id], 120_000);
    expect(t.status).toBe('failed');
    expect(await ladder()).toMatchObject({ throttledAt: null, throttleRate: null, suspendedAt: null });
    const lift = await enqueueTask(db.prisma, { type: 've.quota', params: { ctid: gone, throttle: 0, addresses: [], why: 'test: a lift the node refuses' }, veId, ctid: gone, nodeId: N.node.id });
    expect((await waitTasksDone(db.prisma, [lift.id], 120_000))[0].status).toBe('failed');
    expect((await db.prisma.ve.findUniqueOrThrow({ where: { id: veId } })).lastError).toMatch(/lifting the traffic quota on the node failed/);
  });
});
