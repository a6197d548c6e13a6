// Prometheus scrapes over real HTTP from a running panel server: the token guards both endpoints,
// and the series say what the database holds (tasks, queue, nodes, VEs) and how long calls took.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedNode, seedTemplate, seedUser, uniq } from '@/test/fixtures/panel';
import { createHttpServer } from '@/server/http/server';
import { closeApiKeyCaches } from '@/server/services/auth/apiKeyCache';
import { createApiKey } from '@/server/services/auth/apiKeys';
import { setVeUsageSource } from '@/server/services/metrics/ve-series';
import { createPlan } from '@/server/services/plans';

const TOKEN = 'trf-metrics-token-0123456789abcdef';
let db: TestDatabase;
let server: Server;
let base: string;
let nodeName: string;
const veIds: string[] = [];
let apiKey: string;

const scrape = (path: string, token?: string) => fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
/** The value of the series `name{labels}` in a text exposition, or undefined. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const node = await seedNode(db.prisma);
  nodeName = node.name;
  await seedNode(db.prisma, { state: 'offline', maintenance: true });
  const t = await seedTemplate(db.prisma);
  const plan = await createPlan(db.prisma, { name: uniq('m'), ram: 256, diskspace: 2048 });
  const owner = await seedUser(db.prisma);
  const ctid0 = 24_000 + Math.floor(Math.random() * 900);
  for (const [i, state] of (['running', 'running', 'stopped'] as const).entries()) {
    const ve = await db.prisma.ve.create({ data: { ctid: ctid0 + i, hostname: `m${i}.test`, nodeId: node.id, templateId: t.id, planId: plan.id, ownerId: owner.id, state, limits: { ram: 256, diskspace: 2048, bandwidth: 100 } } });
    veIds.push(ve.id);
  }
  await db.prisma.task.createMany({ data: [
    { type: 've.start', status: 'queued', nodeId: node.id, veId: veIds[0] },
    { type: 've.stop', status: 'queued', nodeId: node.id, veId: veIds[1] },
    { type: 've.set', status: 'running', nodeId: node.id, veId: veIds[2] },
    { type: 've.set', status: 'failed', nodeId: node.id },
  ] });
  apiKey = (await createApiKey(db.prisma, { name: 'm', scopes: ['ves:read', 'catalog:read'] })).token;
  ({ server } = createHttpServer({ prisma: db.prisma, metricsToken: TOKEN }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  setVeUsageSource(undefined);
  await new Promise((r) => server?.close(r));
  await closeApiKeyCaches();
  await db?.drop();
});

describe('GET /metrics', () => {
  it('answers 401 without the token or with a wrong one, and says nothing about the fleet', async () => {
    for (const t of [undefined, 'wrong', TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const r = await scrape('/metrics', t);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect(await r.text()).not.toContain('vzpanel_');
    }
    expect((await scrape('/metrics/ves')).status).toBe(401);
  });

  it('reports tasks by state, queue depth, node state and VEs per node, and process metrics', async () => {
    const r = await scrape('/metrics', TOKEN);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await r.text();
    expect(value(text, 'vzpanel_tasks', { state: 'queued' })).toBe(2);
    expect(value(text, 'vzpanel_tasks', { state: 'running' })).toBe(1);
    expect(value(text, 'vzpanel_tasks', { state: 'failed' })).toBe(1);
    expect(value(text, 'vzpanel_tasks', { state: 'succeeded' })).toBe(0);
    expect(value(text, 'vzpanel_task_queue_depth', { node: nodeName })).toBe(2);
    expect(value(text, 'vzpanel_node_state', { node: nodeName, state: 'online' })).toBe(1);
    expect(value(text, 'vzpanel_node_state', { node: nodeName, state: 'offline' })).toBe(0);
    expect(text).toMatch(/vzpanel_node_maintenance\{node="[^"]+"\} 1/);
    expect(value(text, 'vzpanel_node_ves', { node: nodeName, state: 'running' })).toBe(2);
    expect(value(text, 'vzpanel_node_ves', { node: nodeName, state: 'stopped' })).toBe(1);
    expect(value(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('times each API procedure, refused calls under their own code', async () => {
    expect((await fetch(`${base}/api/v1/ves`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);
    expect((await fetch(`${base}/api/v1/catalog`)).status).toBe(401);
    const text = await (await scrape('/metrics', TOKEN)).text();
    expect(value(text, 'vzpanel_api_request_duration_seconds_count', { procedure: 'billing.ves', type: 'query', code: 'OK' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'vzpanel_api_request_duration_seconds_count', { procedure: 'billing.catalog', type: 'query', code: 'UNAUTHORIZED' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'vzpanel_api_request_duration_seconds_bucket', { procedure: 'billing.ves', code: 'OK', le: '+Inf' })).toBeGreaterThanOrEqual(1);
  });
});

describe('GET /metrics/ves', () => {
  it('gives each VE its state, limits and, from the usage source, cpu, memory and traffic', async () => {
    setVeUsageSource(async () => new Map([[veIds[0], { cpuPercent: 12.5, memoryBytes: 64 * 2 ** 20, netRxBytesTotal: 1000, netTxBytesTotal: 2000 }]]));
    const r = await scrape('/metrics/ves', TOKEN);
    expect(r.status).toBe(200);
    const text = await r.text();
    const ves = await db.prisma.ve.findMany({ where: { id: { in: veIds } }, orderBy: { ctid: 'asc' } });
    const l = (i: number) => ({ ctid: String(ves[i].ctid), node: nodeName });
    expect(value(text, 'vzpanel_ve_running', l(0))).toBe(1);
    expect(value(text, 'vzpanel_ve_running', l(2))).toBe(0);
    expect(value(text, 'vzpanel_ve_info', { ...l(2), hostname: 'm2.test', state: 'stopped' })).toBe(1);
    expect(value(text, 'vzpanel_ve_limit_ram_bytes', l(0))).toBe(256 * 2 ** 20);
    expect(value(text, 'vzpanel_ve_limit_bandwidth_bits_per_second', l(0))).toBe(100_000_000);
    expect(value(text, 'vzpanel_ve_cpu_percent', l(0))).toBe(12.5);
    expect(value(text, 'vzpanel_ve_memory_bytes', l(0))).toBe(64 * 2 ** 20);
    expect(value(text, 'vzpanel_ve_network_receive_bytes_total', l(0))).toBe(1000);
    expect(value(text, 'vzpanel_ve_network_transmit_bytes_total', l(0))).toBe(2000);
    expect(value(text, 'vzpanel_ve_cpu_percent', l(1))).toBeUndefined();
  });

  it('is off (404) when no token is configured, and a short token is refused at start', async () => {
    const { server: off } = createHttpServer({ prisma: db.prisma, metricsToken: '' });
    await new Promise<void>((r) => off.listen(0, '127.0.0.1', () => r()));
    try {
      const r = await fetch(`http://127.0.0.1:${(off.address() as AddressInfo).port}/metrics`, { headers: { authorization: 'Bearer anything' } });
      expect(r.status).toBe(404);
    } finally {
      await new Promise((r) => off.close(r));
    }
    expect(() => createHttpServer({ prisma: db.prisma, metricsToken: 'short' })).toThrow(/at least 16/);
  });
});
