// The billing REST API keeps its word (issue 14), over real HTTP and Postgres: the documented 500 ids
// fit, every error is JSON, numbers are numbers, empty POSTs are fine, suspend/unsuspend are retry-safe.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { uniq } from '@/test/fixtures/panel';
import { startBillingApi, type BillingApiEnv, type Json } from '@/test/fixtures/billing-api';
import { LIMIT_KEYS } from '@/server/services/plans/limits';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createUser } from '@/server/services/auth/users';
import { createSession } from '@/server/services/auth/sessions';

let env: BillingApiEnv;
const PASSWORD = 'Sup3r secret pw!';
const createBody = (o: Json = {}) => ({ customerExternalId: 'client-c', plan: env.planSmall, template: env.template, hostname: `${uniq('vps')}.example.test`, password: PASSWORD, node: env.nodeName, ...o });

beforeAll(async () => {
  env = await startBillingApi();
  await env.api('PUT', '/customers/client-c', { email: 'contract@example.test' });
}, 60_000);
afterAll(async () => env?.close());

/** A raw request: exact method, headers and body bytes; the answer's body parsed as JSON (or the parse error). */
async function raw(method: string, path: string, opts: { headers?: Record<string, string>; body?: string; auth?: boolean } = {}) {
  const headers: Record<string, string> = { ...(opts.auth === false ? {} : { authorization: `Bearer ${env.keys.full}` }), ...opts.headers };
  const res = await fetch(env.base + path, { method, headers, body: opts.body });
  const text = await res.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

async function newVe(o: Json = {}): Promise<Json> {
  const r = await env.api('POST', '/ves', createBody(o));
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json.ve;
}
const setState = (id: string, state: 'running' | 'stopped') => env.db.prisma.ve.update({ where: { id }, data: { state } });
const tasksOf = (veId: string) => env.db.prisma.task.count({ where: { veId } });

// Every error answer has the documented Error shape.
function expectError(r: { status: number; json?: Json; headers: Headers }, status: number, appCode: string) {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.json).toMatchObject({ message: expect.any(String), code: expect.any(String), data: { httpStatus: status, appCode } });
}

describe('GET /ves/status takes the documented 500 ids, and every error is JSON', () => {
  it('500 VE ids in the URL answer 200 (they used to get 431 with an empty body)', async () => {
    const ve = await newVe({ externalId: 'status-1' });
    const ids = [ve.id, ...Array.from({ length: 499 }, () => randomUUID())];
    const r = await raw('GET', `/ves/status?ids=${ids.join(',')}`);
    expect(r.status, r.text.slice(0, 200)).toBe(200);
    expect(r.json!.ves.map((v: Json) => v.id)).toEqual([ve.id]);
    expect(r.json!.notFound).toHaveLength(499);
    // Repeated keys work too.
    const rep = await raw('GET', `/ves/status?${ids.map((i) => `ids=${i}`).join('&')}`);
    expect(rep.status).toBe(200);
    expect(rep.json!.notFound).toHaveLength(499);
  });

  it('POST /ves/status takes 500 ids and 500 long external ids in a JSON body', async () => {
    const ids = Array.from({ length: 500 }, () => randomUUID());
    const externalIds = ['status-1', ...Array.from({ length: 499 }, (_, i) => `${'x'.repeat(190)}-${i}`)];
    const r = await env.api('POST', '/ves/status', { ids, externalIds });
    expect(r.status).toBe(200);
    expect(r.json.ves.map((v: Json) => v.externalId)).toEqual(['status-1']);
    expect(r.json.notFound).toHaveLength(999);
    const tooMany = await env.api('POST', '/ves/status', { ids: [...ids, randomUUID()] });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.data.field).toBe('ids');
    expect((await env.api('POST', '/ves/status', { ids }, { key: env.keys.readOnly })).status).toBe(200);
  });

  it('501 ids in the URL are a 400 naming the field', async () => {
    const r = await raw('GET', `/ves/status?ids=${Array.from({ length: 501 }, () => randomUUID()).join(',')}`);
    expectError(r, 400, 'BAD_INPUT');
    expect(r.json!.data.field).toBe('ids');
  });

  it('headers over the limit answer 431 in JSON', async () => {
    const r = await raw('GET', `/ves/status?ids=${'a'.repeat(70 * 1024)}`);
    expectError(r, 431, 'TOO_LARGE');
    expect(r.json!.message).toMatch(/POST \/api\/v1\/ves\/status/);
  });

  it('a body over 1 MiB answers 413 in JSON', async () => {
    // node:http, so the answer is read even though the server stops reading the body.
    const body = JSON.stringify({ ids: ['x'.repeat(2 << 20)] });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${env.base}/ves/status`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${env.keys.full}` } }, (res) => {
        let t = '';
        res.on('data', (c: Buffer) => (t += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(413);
    expect(JSON.parse(text)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', data: { httpStatus: 413, appCode: 'TOO_LARGE' } });
  });

  it('unknown routes answer 404, a wrong method 405 with Allow, a wrong media type 415, broken JSON 400: all JSON', async () => {
    expectError(await raw('GET', '/no-such-thing'), 404, 'NOT_FOUND');
    expectError(await raw('GET', '/ves/%E0%A4%A'), 400, 'BAD_INPUT');
    const outside = await fetch(env.base.replace('/api/v1', '/api/nope'));
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ code: 'NOT_FOUND', data: { appCode: 'NOT_FOUND' } });
    const m = await raw('PATCH', '/ves');
    expectError(m, 405, 'METHOD_NOT_ALLOWED');
    expect(m.headers.get('allow')).toBe('GET, POST');
    expectError(await raw('PUT', '/catalog'), 405, 'METHOD_NOT_ALLOWED');
    expectError(await raw('POST', '/ves', { headers: { 'content-type': 'text/plain' }, body: JSON.stringify(createBody()) }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await raw('POST', '/ves', { headers: { 'content-type': 'application/json' }, body: '{"hostname":' }), 400, 'BAD_INPUT');
    expectError(await raw('POST', '/ves', { headers: { 'content-type': 'application/json' }, body: '[1,2]' }), 400, 'BAD_INPUT');
    expect(await env.db.prisma.ve.count({ where: { externalId: null } })).toBe(0);
  });
});

describe('numbers are numbers', () => {
  // Anything a loose parser would turn into a number: numeric strings, hex, booleans, one-element arrays, "".
  const notANumber = fc.oneof(
    fc.constantFrom('1', '0x10', '1e3', ' 7', '', true, false, [1], ['2'], {}, { n: 1 }),
    fc.string(),
    fc.boolean(),
    fc.array(fc.integer({ min: 0, max: 64 }), { minLength: 1, maxLength: 3 }),
    fc.integer({ min: 0, max: 64 }).map(String),
    // Finite only: JSON has no Infinity (JSON.stringify sends null, which means "the plan's value").
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  );

  it('a non-number in any numeric field of a create is a 400 naming that field, and creates nothing', async () => {
    const fields: Array<[string, (v: unknown) => Json]> = [
      ['ipv4Count', (v) => createBody({ ipv4Count: v })],
      ['ipv6Count', (v) => createBody({ ipv6Count: v })],
      ...LIMIT_KEYS.map((k): [string, (v: unknown) => Json] => [`overrides.${k}`, (v) => createBody({ overrides: { [k]: v } })]),
    ];
    const ves = await env.db.prisma.ve.count();
    const tasks = await env.db.prisma.task.count();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), notANumber, async ([field, body], v) => {
        const r = await env.api('POST', '/ves', body(v));
        expect(r.status, `${field}=${JSON.stringify(v)}`).toBe(400);
        expect(r.json.data.field).toBe(field);
      }),
      { numRuns: 150 },
    );
    expect(await env.db.prisma.ve.count()).toBe(ves);
    expect(await env.db.prisma.task.count()).toBe(tasks);
  });

  it('a non-number in a plan change override is a 400 naming it; nothing queued or changed', async () => {
    const ve = await newVe();
    await setState(ve.id, 'running');
    const before = await tasksOf(ve.id);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...LIMIT_KEYS), notANumber, async (k, v) => {
        const r = await env.api('POST', `/ves/${ve.id}/plan`, { plan: env.planBig, overrides: { [k]: v } });
        expect(r.status, `${k}=${JSON.stringify(v)}`).toBe(400);
        expect(r.json.data.field).toBe(`overrides.${k}`);
      }),
      { numRuns: 60 },
    );
    expect(await tasksOf(ve.id)).toBe(before);
    expect((await env.db.prisma.ve.findUniqueOrThrow({ where: { id: ve.id } })).planId).not.toBe(env.planBig);
  });

  it('query-string integers are plain decimal digits', async () => {
    expect((await raw('GET', '/ves?limit=5&offset=0')).status).toBe(200);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('limit', 'offset'),
        fc.oneof(fc.constantFrom('0x10', '1e3', ' 7', '7 ', '', '-1', '+5', '1.5', '007', 'true', '[1]'), fc.string().filter((s) => !/^(0|[1-9][0-9]*)$/.test(s))),
        async (name, v) => {
          const r = await raw('GET', `/ves?${name}=${encodeURIComponent(v)}`);
          expect(r.status, `${name}=${JSON.stringify(v)}`).toBe(400);
          expect(r.json!.data.field).toBe(name);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("null means the plan's value: ipv4Count: null gets the plan's addresses, overrides.ram: null the plan's RAM", async () => {
    const r = await env.api('POST', '/ves', createBody({ ipv4Count: null, ipv6Count: null, overrides: { ram: null, swap: 128 } }));
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    // The small plan has ipv4Count 1 (the default); null used to become 0 and a VE with no address.
    expect(r.json.ipAddresses).toHaveLength(1);
    const row = await env.db.prisma.ve.findUniqueOrThrow({ where: { id: r.json.ve.id } });
    expect(row.overrides).toEqual({ swap: 128 });
    expect(row.limits).toMatchObject({ ram: 256, swap: 128 });
  });
});

describe('POSTs without a body', () => {
  it('operations with nothing to send accept no body, an empty body or {} (with or without Content-Type)', async () => {
    const ve = await newVe();
    await setState(ve.id, 'running');
    const variants: Array<{ headers?: Record<string, string>; body?: string }> = [
      {},
      { headers: { 'content-type': 'application/json' } },
      { headers: { 'content-type': 'application/json' }, body: '' },
      { headers: { 'content-type': 'application/json' }, body: '{}' },
      { headers: { 'content-type': 'application/json; charset=utf-8' }, body: ' {} ' },
    ];
    for (const v of variants) {
      const c = await raw('POST', `/ves/${ve.id}/console`, v);
      expect(c.status, `${JSON.stringify(v)}: ${c.text}`).toBe(200);
      const t = await raw('POST', '/customers/client-c/login-token', v);
      expect(t.status, `${JSON.stringify(v)}: ${t.text}`).toBe(200);
      const u = await raw('POST', `/ves/${ve.id}/unsuspend`, v);
      expect(u.status, `${JSON.stringify(v)}: ${u.text}`).toBe(200);
      // Suspend's fields all have defaults: an empty suspend is a stop-mode suspension.
      const s = await raw('POST', `/ves/${ve.id}/suspend`, v);
      expect(s.status, `${JSON.stringify(v)}: ${s.text}`).toBe(200);
      expect(s.json).toMatchObject({ mode: 'stop', state: 'suspended' });
      await env.db.prisma.ve.update({ where: { id: ve.id }, data: { state: 'running', suspendedAt: null, suspendMode: null, prevPowerState: null } });
    }
  });

  it('an operation that needs fields still says which one is missing', async () => {
    const ve = await newVe();
    const r = await raw('POST', `/ves/${ve.id}/hostname`);
    expectError(r, 400, 'BAD_INPUT');
    expect(r.json!.data.field).toBe('hostname');
  });
});

describe('suspend and unsuspend are retry-safe', () => {
  it('suspending twice answers 200 with the suspension in force and queues one task', async () => {
    const ve = await newVe();
    await setState(ve.id, 'running');
    const before = await tasksOf(ve.id);
    const a = await env.api('POST', `/ves/${ve.id}/suspend`, { reason: 'invoice 7 overdue' });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ mode: 'stop', previousState: 'running', changed: true, state: 'suspended', taskId: expect.any(String) });
    const b = await env.api('POST', `/ves/${ve.id}/suspend`, { reason: 'invoice 7 overdue' });
    expect(b.status).toBe(200);
    // The first suspend's task is still queued: the retry names it.
    expect(b.json).toEqual({ mode: 'stop', previousState: 'running', changed: false, state: 'suspended', taskId: a.json.taskId });
    expect(await tasksOf(ve.id)).toBe(before + 1);
    // Once that task is done, a retry has no task to name.
    await env.db.prisma.task.update({ where: { id: a.json.taskId }, data: { status: 'succeeded' } });
    expect((await env.api('POST', `/ves/${ve.id}/suspend`, {})).json).toMatchObject({ changed: false, taskId: null, previousState: 'running' });
    // Another mode is another request: refused, with what is in force.
    const other = await env.api('POST', `/ves/${ve.id}/suspend`, { networkOnly: true });
    expect(other.status).toBe(409);
    expect(other.json.message).toMatch(/already suspended in stop mode/);
    expect(await tasksOf(ve.id)).toBe(before + 1);

    const u1 = await env.api('POST', `/ves/${ve.id}/unsuspend`, {});
    expect(u1.json).toMatchObject({ changed: true, restores: 'running', state: 'suspended', taskId: expect.any(String) });
    const u2 = await env.api('POST', `/ves/${ve.id}/unsuspend`, {});
    expect(u2.status).toBe(200);
    expect(u2.json).toEqual({ changed: false, restores: 'running', state: 'suspended', taskId: u1.json.taskId });
    expect(await tasksOf(ve.id)).toBe(before + 2);
    // While the unsuspend is under way, a new suspend would be undone by it: refused.
    expect((await env.api('POST', `/ves/${ve.id}/suspend`, {})).status).toBe(409);
  });

  it('a VE an admin froze is not a billing suspension: suspend records one (and stops it)', async () => {
    const ve = await newVe();
    await env.db.prisma.ve.update({ where: { id: ve.id }, data: { state: 'suspended' } });
    const r = await env.api('POST', `/ves/${ve.id}/suspend`, { reason: 'overdue' });
    expect(r.json).toMatchObject({ changed: true, mode: 'stop', previousState: 'running', taskId: expect.any(String) });
    expect(await env.db.prisma.ve.findUniqueOrThrow({ where: { id: ve.id } })).toMatchObject({ suspendReason: 'overdue', suspendMode: 'stop', prevPowerState: 'running' });
  });

  it('unsuspending a VE that is not suspended answers 200 with its state and queues nothing', async () => {
    const ve = await newVe();
    await setState(ve.id, 'running');
    const before = await tasksOf(ve.id);
    const r = await env.api('POST', `/ves/${ve.id}/unsuspend`, {});
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ changed: false, restores: null, state: 'running', taskId: null });
    expect(await tasksOf(ve.id)).toBe(before);
    expect((await env.api('POST', `/ves/${randomUUID()}/unsuspend`, {})).status).toBe(404);
  });

  it('a network-only suspension reports its mode and that the VE runs, and its console stays open', async () => {
    const ve = await newVe({ externalId: 'net-susp' });
    await setState(ve.id, 'running');
    const s = await env.api('POST', `/ves/${ve.id}/suspend`, { reason: 'abuse report', networkOnly: true });
    expect(s.json).toMatchObject({ mode: 'network', state: 'suspended' });
    const st = await env.api('GET', '/ves/status?externalIds=net-susp');
    expect(st.json.ves[0]).toMatchObject({ state: 'suspended', suspension: { mode: 'network', vePowerState: 'running', reason: 'abuse report' } });
    expect((await env.api('GET', `/ves/${ve.id}`)).json.suspension).toMatchObject({ mode: 'network', vePowerState: 'running' });
    const c = await env.api('POST', `/ves/${ve.id}/console`, {});
    expect(c.status, JSON.stringify(c.json)).toBe(200);
    // The admin page and the portal offer the console by the same rule.
    const admin = await createUser(env.db.prisma, { email: `${uniq('root')}@example.test`, password: 'admin password 1', role: 'admin' });
    const caller = createCaller(await createInnerContext(env.db.prisma, { sessionToken: (await createSession(env.db.prisma, admin.id)).token }));
    expect(await caller.ves.get({ id: ve.id })).toMatchObject({ state: 'suspended', consoleOpen: true });

    // A stop-mode suspension stops the VE: no console.
    const stopped = await newVe();
    await setState(stopped.id, 'running');
    await env.api('POST', `/ves/${stopped.id}/suspend`, {});
    expect((await env.api('GET', `/ves/${stopped.id}`)).json.suspension).toMatchObject({ mode: 'stop', vePowerState: 'stopped' });
    expect((await env.api('POST', `/ves/${stopped.id}/console`, {})).status).toBe(422);
    expect(await caller.ves.get({ id: stopped.id })).toMatchObject({ state: 'suspended', consoleOpen: false });
  });
});
