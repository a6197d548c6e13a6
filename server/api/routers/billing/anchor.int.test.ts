// Billing's anchor day and the quota ladder over real HTTP: PUT /ves/{id}/usage/anchor takes a strict
// 1-28 or null, moves the period the usage answer reports, and the answer carries the ladder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingApi, type BillingApiEnv } from '@/test/fixtures/billing-api';
import { seedTemplate, uniq } from '@/test/fixtures/panel';
import { setUsagePolicy } from '@/server/services/usage/policy';

let env: BillingApiEnv;
let veId = '';

beforeAll(async () => {
  env = await startBillingApi();
  const { prisma } = env.db;
  const node = await prisma.node.findFirstOrThrow();
  const plan = await prisma.plan.create({ data: { name: uniq('quota'), ram: 64, diskspace: 64, diskinodes: 1000 } });
  await setUsagePolicy(prisma, plan.id, { anchorDay: 10, trafficQuota: 5_000_000, warnPct: 80, throttleRate: 8000, suspendPct: 150 });
  const templateId = (await seedTemplate(prisma)).id;
  veId = (await prisma.ve.create({ data: { ctid: 71_900 + Math.floor(Math.random() * 99), hostname: 'anchor.test', nodeId: node.id, templateId, planId: plan.id, state: 'running', limits: { ram: 64, diskspace: 64 } } })).id;
}, 120_000);
afterAll(async () => env?.close());

describe('billing anchor day', () => {
  it('refuses anything but a whole number 1-28 or null, naming the field', async () => {
    for (const anchorDay of ['7', 0, 29, 3.5, true]) {
      const r = await env.api('PUT', `/ves/${veId}/usage/anchor`, { anchorDay });
      expect(r.status, JSON.stringify(anchorDay)).toBe(400);
      expect(JSON.stringify(r.json)).toContain('anchorDay');
    }
    expect((await env.api('PUT', '/ves/no-such-ve/usage/anchor', { anchorDay: 3 })).status).toBe(404);
  });

  it('sets the VE\'s day over the plan\'s, null goes back to the plan\'s; the usage answer follows, with the ladder', async () => {
    const before = await env.api('GET', `/ves/${veId}/usage`);
    expect(before.json.period.start.slice(8, 10)).toBe('10');
    expect(before.json.quota).toMatchObject({ quotaBytes: 5_000_000, usedBytes: 0, warnPct: 80, suspendPct: 150, throttle: null, networkSuspended: null });
    const set = await env.api('PUT', `/ves/${veId}/usage/anchor`, { anchorDay: 3 });
    expect(set).toMatchObject({ status: 200, json: { anchorDay: 3, source: 've' } });
    expect((await env.api('GET', `/ves/${veId}/usage`)).json.period.start.slice(8, 10)).toBe('03');
    expect((await env.api('PUT', `/ves/${veId}/usage/anchor`, { anchorDay: null })).json).toEqual({ anchorDay: 10, source: 'plan' });
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await (await fetch(`${env.base}/openapi.json`)).json() as { paths: Record<string, { put?: { requestBody?: unknown } }> };
    expect(doc.paths['/ves/{id}/usage/anchor']?.put?.requestBody).toBeDefined();
  });
});
