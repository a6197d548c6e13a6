// Bad input on every billing field that reaches a node (hostname, password, SSH key, template name,
// addresses): each hostile value is a 400 naming the field and queues nothing. Real HTTP + Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq } from '@/test/fixtures/panel';
import { startBillingApi, type BillingApiEnv, type Json } from '@/test/fixtures/billing-api';

let env: BillingApiEnv;
let veId = '';

beforeAll(async () => {
  env = await startBillingApi();
  await env.api('PUT', '/customers/client-7', { email: 'seven@example.test' });
  const r = await env.api('POST', '/ves', createBody({ externalId: 'svc-1' }));
  veId = r.json.ve.id;
  await env.db.prisma.ve.update({ where: { id: veId }, data: { state: 'running' } });
}, 60_000);
afterAll(async () => env?.close());

const createBody = (o: Json = {}) => ({ customerExternalId: 'client-7', plan: env.planSmall, template: env.template, hostname: `${uniq('vps')}.example.test`, password: 'Sup3r secret pw!', node: env.nodeName, ...o });
const taskCount = () => env.db.prisma.task.count();

describe('bad input on every field that reaches a node', () => {
  const EVIL = {
    'shell metacharacters': 'a;reboot $(id) `id` | & >',
    newline: 'good\nbad',
    NUL: 'good\u0000bad',
    'leading dash': '-rf',
    'path traversal': '../../etc/passwd',
    '10 kB': 'a'.repeat(10_240),
  };
  const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5dGVz user@host';
  const cases: Array<[string, string, (v: string, veId: string) => { method: string; path: string; body: unknown }]> = [
    ['hostname', 'hostname', (v) => ({ method: 'POST', path: '/ves', body: createBody({ hostname: v }) })],
    ['template', 'template', (v) => ({ method: 'POST', path: '/ves', body: createBody({ template: v }) })],
    ['sshKeys', 'sshKeys.0', (v) => ({ method: 'POST', path: '/ves', body: createBody({ password: undefined, sshKeys: [v] }) })],
    ['ssh key comment', 'sshKeys.0', (v) => ({ method: 'POST', path: '/ves', body: createBody({ sshKeys: [`${KEY.split(' ').slice(0, 2).join(' ')} ${v}`] }) })],
    ['ipAddresses', 'ipAddresses.0', (v) => ({ method: 'POST', path: '/ves', body: createBody({ ipAddresses: [v] }) })],
    ['setHostname', 'hostname', (v, id) => ({ method: 'POST', path: `/ves/${id}/hostname`, body: { hostname: v } })],
    ['reinstall template', 'template', (v, id) => ({ method: 'POST', path: `/ves/${id}/reinstall`, body: { template: v } })],
  ];
  it.each(cases)('%s: each bad value is a 400 naming the field, no task queued', async (_name, field, req) => {
    const ve = { id: veId };
    for (const [what, value] of Object.entries(EVIL)) {
      // An ssh key comment of 10 kB or with a newline/NUL fails the key format itself: same field.
      const before = await taskCount();
      const { method, path, body } = req(value, ve.id);
      const r = await env.api(method, path, body);
      expect(r.status, `${what}`).toBe(400);
      expect(r.json.data.field, `${what}`).toBe(field);
      expect(await taskCount(), `${what}`).toBe(before);
    }
  });
  it('the same requests with good values are accepted (the 400s above are about the value)', async () => {
    const free = await env.db.prisma.ipAddress.findFirstOrThrow({ where: { veId: null, reserved: false }, orderBy: { address: 'desc' } });
    const good: Record<string, string> = { hostname: 'good.example.test', template: env.template, sshKeys: KEY, 'ssh key comment': 'user@host', ipAddresses: free.address, setHostname: 'good.example.test', 'reinstall template': env.template };
    for (const [name, , req] of cases) {
      const { method, path, body } = req(good[name], veId);
      const r = await env.api(method, path, body);
      expect(r.status, `${name}: ${JSON.stringify(r.json)}`).toBe(200);
      // The reinstall left the VE reinstalling; put it back for the next request.
      await env.db.prisma.ve.update({ where: { id: veId }, data: { state: 'running' } });
    }
    expect(await env.db.prisma.ipAddress.findUniqueOrThrow({ where: { id: free.id } })).toMatchObject({ veId: expect.any(String) });
  });

  it('password: newline, NUL and 10 kB are a 400 naming the field', async () => {
    const ve = { id: veId };
    const before = await taskCount();
    for (const v of ['good password\nroot::0:0', 'good pass\u0000word', 'p'.repeat(10_240)]) {
      for (const [path, body] of [['/ves', createBody({ password: v })], [`/ves/${ve.id}/password`, { password: v }]] as const) {
        const r = await env.api('POST', path, body);
        expect(r.status).toBe(400);
        expect(r.json.data.field).toBe('password');
      }
    }
    expect(await taskCount()).toBe(before);
  });
});

