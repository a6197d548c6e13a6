// Billing usage over real HTTP: one VE for a period and every VE in pages, with the numbers the
// stored samples add up to; bad periods are refused with the field named; documented in OpenAPI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageSample } from '@/agents/protocol/methods/usage';
import { startBillingApi, type BillingApiEnv } from '@/test/fixtures/billing-api';
import { seedTemplate } from '@/test/fixtures/panel';
import { ingestBatches } from '@/server/services/usage/ingest';

let env: BillingApiEnv;
const ids: string[] = [];
const MiB = 1024 * 1024;
const base = 23_400 + Math.floor(Math.random() * 400);

const sample = (ctid: number, i: number): UsageSample => ({
  ctid, running: true, epoch: 'e', memBytes: (10 + i) * MiB, swapBytes: 0, pids: 3, diskUsed: 100 * MiB, diskTotal: 1024 * MiB, inodesUsed: 10, inodesTotal: 100,
  delta: { cpuNs: 2e9, netIn: 1000 * (i + 1), netOut: 500, pktIn: 1, pktOut: 1, rdBytes: 0, wrBytes: 0, rdIos: 0, wrIos: 0, memFail: 0, swapFail: 0, oomKill: 0, throttled: 0, throttledNs: 0, pidsMax: 0 },
});

beforeAll(async () => {
  env = await startBillingApi();
  const { prisma } = env.db;
  const node = await prisma.node.findFirstOrThrow();
  const templateId = (await seedTemplate(prisma)).id;
  for (let i = 0; i < 5; i++) {
    const v = await prisma.ve.create({ data: { ctid: base + i, hostname: `u${i}.test`, nodeId: node.id, templateId, state: 'running', externalId: `svc-use-${base + i}`, limits: { ram: 256, diskspace: 2048 } } });
    ids.push(v.id);
  }
  // Within the current billing period: an hour back crossed the period's start when the suite ran just after midnight.
  const t = Date.now() - 40_000;
  const batches = [0, 1, 2].map((i) => ({ seq: i + 1, ts: t + i * 10_000, intervalMs: 10_000, samples: ids.map((_, k) => sample(base + k, i)) }));
  await ingestBatches(prisma, node.id, 'use-spool', batches);
}, 120_000);
afterAll(async () => env?.close());

describe('billing usage REST', () => {
  it('reports one VE\'s disk, traffic, CPU time and memory for a period', async () => {
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const r = await env.api('GET', `/ves/${ids[0]}/usage?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, undefined, { key: env.keys.readOnly });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      id: ids[0], externalId: `svc-use-${base}`,
      disk: { usedBytes: 100 * MiB, limitBytes: 2048 * MiB },
      traffic: { inBytes: 6000, outBytes: 1500, totalBytes: 7500 },
      cpuSeconds: 6,
      memory: { avgBytes: 11 * MiB, peakBytes: 12 * MiB },
    });
    // Without a period: the VE's current billing period (created today: anchored on today's day).
    const cur = await env.api('GET', `/ves/${ids[0]}/usage`);
    expect(cur.status).toBe(200);
    expect(new Date(cur.json.period.start).getTime()).toBeLessThanOrEqual(Date.now());
    expect(cur.json.traffic.totalBytes).toBe(7500);
  });

  it('pages through every VE with a cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const r = await env.api('GET', `/usage?limit=2${q}`);
      expect(r.status).toBe(200);
      expect(r.json.items.length).toBeLessThanOrEqual(2);
      for (const it of r.json.items) seen.push(it.id);
      cursor = r.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('refuses bad periods and unknown VEs clearly, and needs a key', async () => {
    const bad = await env.api('GET', `/ves/${ids[0]}/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ message: '"from" must be before "to"', data: { field: 'to' } });
    const toOnly = await env.api('GET', `/ves/${ids[0]}/usage?to=2026-01-01T00:00:00Z`);
    expect(toOnly.status).toBe(400);
    expect((await env.api('GET', '/ves/no-such-ve/usage')).status).toBe(404);
    expect((await env.api('GET', '/usage', undefined, { key: '' })).status).toBe(401);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await (await fetch(`${env.base}/openapi.json`)).json() as { paths: Record<string, { get?: { summary?: string } }> };
    expect(doc.paths['/ves/{id}/usage']?.get?.summary).toBe('Usage of a VE for a billing period');
    expect(doc.paths['/usage']?.get?.summary).toBe('Usage of every VE for a billing period, in pages');
  });
});
