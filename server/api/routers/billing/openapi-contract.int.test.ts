// The OpenAPI document tells the truth (issue 14): each operation names its scopes, every status an
// operation answers is documented, and every error body has the documented Error shape. Real HTTP + Postgres.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingApi, type BillingApiEnv, type Json } from '@/test/fixtures/billing-api';
import { uniq } from '@/test/fixtures/panel';
import { openApiDocument, RestError } from '@/server/api/openapi';
import { appRouter } from '@/server/api/root';

let env: BillingApiEnv;
const doc = openApiDocument();

interface Op { method: string; path: string; op: Json }
const OPS: Op[] = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
  Object.entries(ops as Json).filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map(([m, op]) => ({ method: m.toUpperCase(), path, op: op as Json })),
);
const procedures = Object.values(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Json } }>).map((p) => p._def.meta).filter((m) => m?.openapi);

beforeAll(async () => {
  env = await startBillingApi();
}, 60_000);
afterAll(async () => env?.close());

describe('the OpenAPI document', () => {
  it('names the scopes of every operation, in x-required-scopes and in its description', () => {
    expect(OPS.length).toBe(procedures.length);
    for (const meta of procedures) {
      const { op } = OPS.find((o) => o.method === meta!.openapi.method && o.path === meta!.openapi.path)!;
      expect(meta!.scopes?.length, `${meta!.openapi.path}`).toBeGreaterThan(0);
      expect(op['x-required-scopes']).toEqual(meta!.scopes);
      for (const s of meta!.scopes) expect(op.description).toContain(`\`${s}\``);
    }
  });

  it('documents the error body as it is sent, and every error response uses it', () => {
    expect(doc.components?.schemas?.Error).toMatchObject({ type: 'object', required: ['message', 'code', 'data'] });
    for (const { method, path, op } of OPS) {
      for (const [status, r] of Object.entries(op.responses as Json)) {
        if (status === '200') continue;
        expect(r.content['application/json'].schema, `${method} ${path} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });

  it('documents webhook management and customer deletion', () => {
    expect(Object.keys(doc.paths ?? {})).toEqual(expect.arrayContaining(['/webhooks', '/webhooks/{id}', '/webhooks/{id}/rotate-secret', '/customers/{externalId}']));
    expect(Object.keys((doc.paths as Json)['/customers/{externalId}'])).toEqual(expect.arrayContaining(['put', 'delete']));
    expect((doc.paths as Json)['/customers/{externalId}'].delete.responses).toHaveProperty('409');
  });
});

describe('every status an operation answers is documented, with the documented body', () => {
  // Answers seen per operation, for the failure message.
  const seen: string[] = [];
  const statuses: number[] = [];

  async function call(o: Op, params: Record<string, string>, opts: { key?: string; body?: string } = {}) {
    const url = env.base + o.path.replace(/\{([^}]+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? randomUUID()));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const key = opts.key ?? env.keys.full;
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(url, { method: o.method, headers, body: o.method === 'GET' || o.method === 'DELETE' ? undefined : (opts.body ?? '{}') });
    const body = (await res.json()) as Json;
    const documented = Object.keys(o.op.responses);
    if (!statuses.includes(res.status)) statuses.push(res.status);
    if (!documented.includes(String(res.status))) seen.push(`${o.method} ${o.path} (${JSON.stringify(params)}): ${res.status} ${body.message} not in ${documented.join(',')}`);
    if (res.status !== 200) {
      const parsed = RestError.safeParse(body);
      if (!parsed.success) seen.push(`${o.method} ${o.path}: ${res.status} body ${JSON.stringify(body)} is not an Error: ${parsed.error.message}`);
      else expect(parsed.data.data.httpStatus).toBe(res.status);
    }
    return res.status;
  }

  it('unknown ids, empty bodies, broken JSON, no key and a narrow key, and real VEs in each state', async () => {
    await env.api('PUT', '/customers/doc-1', { email: 'doc1@example.test' });
    const create = (ext: string) => env.api('POST', '/ves', { customerExternalId: 'doc-1', externalId: ext, plan: env.planSmall, template: env.template, hostname: `${uniq('doc')}.example.test`, password: 'Sup3r secret pw!', node: env.nodeName });
    const ves: Record<string, string> = {};
    for (const state of ['running', 'stopped', 'suspended', 'creating'] as const) {
      const r = await create(`doc-${state}`);
      ves[state] = r.json.ve.id;
      if (state === 'suspended') {
        await env.db.prisma.ve.update({ where: { id: ves[state] }, data: { state: 'running' } });
        await env.api('POST', `/ves/${ves[state]}/suspend`, { networkOnly: true });
      } else await env.db.prisma.ve.update({ where: { id: ves[state] }, data: { state } });
    }
    const hook = (await env.api('POST', '/webhooks', { url: 'http://127.0.0.1:9/hook' })).json.webhook.id;
    const task = (await env.db.prisma.task.findFirstOrThrow()).id;
    // A body each operation accepts in general, so the state-dependent answers (409, 422) are reached too.
    const SAMPLE: Record<string, Json> = {
      'POST /ves': { customerExternalId: 'doc-1', plan: env.planSmall, template: env.template, hostname: `${uniq('doc')}.example.test`, password: 'Sup3r secret pw!' },
      'POST /ves/status': { ids: Object.values(ves) },
      'POST /ves/{id}/power': { action: 'start' },
      'POST /ves/{id}/plan': { plan: env.planBig },
      'POST /ves/{id}/hostname': { hostname: 'renamed.example.test' },
      'POST /ves/{id}/password': { password: 'An0ther secret pw' },
      'POST /ves/{id}/reinstall': { template: env.template },
      'POST /ves/{id}/suspend': { networkOnly: false },
      'PUT /customers/{externalId}': { email: 'doc1@example.test' },
      'POST /webhooks': { url: 'http://127.0.0.1:9/other' },
    };
    // Deletes last: a terminated VE answers everything else with 409.
    for (const o of [...OPS].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'))) {
      const sample = SAMPLE[`${o.method} ${o.path}`];
      const body = sample && JSON.stringify(sample);
      await call(o, {});
      if (body) await call(o, {}, { body });
      await call(o, {}, { key: '' });
      await call(o, {}, { key: env.keys.readOnly });
      if (o.method !== 'GET' && o.method !== 'DELETE') await call(o, {}, { body: '{"not json' });
      if (o.path.startsWith('/ves/{id}')) for (const id of Object.values(ves)) await call(o, { id }, { body });
      if (o.path.startsWith('/webhooks/{id}')) await call(o, { id: hook }, { body });
      if (o.path.startsWith('/tasks/{id}')) await call(o, { id: task });
      if (o.path.startsWith('/customers/{externalId}')) await call(o, { externalId: 'doc-1' }, { body });
    }
    expect(seen).toEqual([]);
    // The states were reached: refusals by state are among the answers (so the check above meant something).
    expect(statuses).toEqual(expect.arrayContaining([200, 400, 401, 403, 404, 409, 422]));
  });

  it('the 404 of an unknown path and the 405 of a wrong method are Error bodies too', async () => {
    for (const [method, path, status] of [['GET', '/nope', 404], ['DELETE', '/catalog', 405], ['PUT', '/ves/status', 405]] as const) {
      const res = await fetch(env.base + path, { method, headers: { authorization: `Bearer ${env.keys.full}` } });
      expect(res.status).toBe(status);
      expect(RestError.parse(await res.json()).data.httpStatus).toBe(status);
    }
  });
});
