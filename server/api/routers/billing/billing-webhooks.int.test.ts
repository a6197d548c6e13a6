// Webhook endpoint management and customer deletion through the billing REST API, and the destroy
// event a billing system needs to close the service (id, ctid, external id). Real HTTP + Postgres.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq } from '@/test/fixtures/panel';
import { startBillingApi, type BillingApiEnv, type Json } from '@/test/fixtures/billing-api';
import { createApiKey } from '@/server/services/auth/apiKeys';
import { completeVeDestroy } from '@/server/services/ves';
import { runTaskFinishedHooks } from '@/server/operations/tasks/hooks';
import { registerWebhookHooks } from '@/server/operations/webhooks/deliver';

let env: BillingApiEnv;
const createBody = (o: Json = {}) => ({ customerExternalId: 'client-w', plan: env.planSmall, template: env.template, hostname: `${uniq('vps')}.example.test`, password: 'Sup3r secret pw!', node: env.nodeName, ...o });

beforeAll(async () => {
  env = await startBillingApi();
  await env.api('PUT', '/customers/client-w', { email: 'hooks@example.test' });
}, 60_000);
afterAll(async () => env?.close());

describe('webhook endpoints under /api/v1', () => {
  it('create (secret once), list (never the secret), rotate (new secret once), delete', async () => {
    const c = await env.api('POST', '/webhooks', { url: 'https://billing.example.test/hook', events: ['ve.destroyed', 've.suspended'], description: 'WHMCS' });
    expect(c.status).toBe(200);
    expect(c.json.secret).toMatch(/^whsec_/);
    const id = c.json.webhook.id;
    expect(c.json.webhook).toMatchObject({ url: 'https://billing.example.test/hook', events: ['ve.destroyed', 've.suspended'], enabled: true });
    const stored = await env.db.prisma.webhook.findUniqueOrThrow({ where: { id } });
    expect(stored.secret).toBe(c.json.secret);

    const l = await env.api('GET', '/webhooks');
    expect(l.json.items.map((w: Json) => w.id)).toContain(id);
    expect(l.json.events).toContain('ve.destroyed');
    expect(JSON.stringify(l.json)).not.toContain(c.json.secret);

    const r = await env.api('POST', `/webhooks/${id}/rotate-secret`);
    expect(r.status).toBe(200);
    expect(r.json.secret).toMatch(/^whsec_/);
    expect(r.json.secret).not.toBe(c.json.secret);
    expect((await env.db.prisma.webhook.findUniqueOrThrow({ where: { id } })).secret).toBe(r.json.secret);

    expect((await env.api('DELETE', `/webhooks/${id}`)).json).toEqual({ id });
    expect(await env.db.prisma.webhook.count({ where: { id } })).toBe(0);
    expect((await env.api('DELETE', `/webhooks/${id}`)).status).toBe(404);
    expect((await env.api('POST', `/webhooks/${id}/rotate-secret`)).status).toBe(404);
  });

  it('bad input is a 400 naming the field; scopes webhooks:read / webhooks:write are enforced', async () => {
    const bad = await env.api('POST', '/webhooks', { url: 'ftp://example.test/x' });
    expect(bad.status).toBe(400);
    expect(bad.json.data.field).toBe('url');
    expect((await env.api('POST', '/webhooks', { url: 'https://x.example.test', events: ['no.such.event'] })).json.data.field).toBe('events.0');
    const reader = (await createApiKey(env.db.prisma, { name: 'hooks-reader', scopes: ['webhooks:read'] })).token;
    expect((await env.api('GET', '/webhooks', undefined, { key: reader })).status).toBe(200);
    expect((await env.api('POST', '/webhooks', { url: 'https://x.example.test' }, { key: reader })).status).toBe(403);
    expect((await env.api('GET', '/webhooks', undefined, { key: env.keys.readOnly })).status).toBe(403);
    expect(await env.db.prisma.webhook.count({ where: { url: 'https://x.example.test' } })).toBe(0);
  });
});

describe('the destroy event', () => {
  it("carries the destroyed VE's id, ctid and external id", async () => {
    const hook = (await env.api('POST', '/webhooks', { url: 'https://billing.example.test/destroyed', events: ['ve.destroyed'] })).json.webhook.id;
    const ve = (await env.api('POST', '/ves', createBody({ externalId: 'svc-gone' }))).json.ve;
    await env.db.prisma.ve.update({ where: { id: ve.id }, data: { state: 'running' } });
    const del = await env.api('DELETE', `/ves/${ve.id}`);
    expect(del.status).toBe(200);
    // What the worker does once the node has destroyed the container: the row goes, the task succeeds, the hooks run.
    await completeVeDestroy(env.db.prisma, ve.id);
    const task = await env.db.prisma.task.update({ where: { id: del.json.taskId }, data: { status: 'succeeded', finishedAt: new Date() } });
    registerWebhookHooks();
    await runTaskFinishedHooks(env.db.prisma, task);
    const d = await env.db.prisma.webhookDelivery.findFirstOrThrow({ where: { webhookId: hook, event: 've.destroyed' } });
    expect((d.payload as Json).data.ve).toMatchObject({ id: ve.id, ctid: ve.ctid, externalId: 'svc-gone', state: 'destroyed' });
    expect((d.payload as Json).data.task).toMatchObject({ type: 've.destroy', status: 'succeeded', veId: ve.id, ctid: ve.ctid });
  });
});

describe('customer deletion', () => {
  it('is refused with a 409 naming the VEs while the customer owns any, then works', async () => {
    await env.api('PUT', '/customers/client-del', { email: 'del@example.test' });
    const a = (await env.api('POST', '/ves', createBody({ customerExternalId: 'client-del', externalId: 'svc-del-1' }))).json.ve;
    const refused = await env.api('DELETE', '/customers/client-del');
    expect(refused.status).toBe(409);
    expect(refused.json.data.appCode).toBe('CONFLICT');
    expect(refused.json.message).toContain(`${a.ctid} (${a.hostname}, service svc-del-1)`);
    expect(await env.db.prisma.user.count({ where: { externalId: 'client-del' } })).toBe(1);

    await completeVeDestroy(env.db.prisma, a.id);
    const login = await env.api('POST', '/customers/client-del/login-token', {});
    expect(login.status).toBe(200);
    const ok = await env.api('DELETE', '/customers/client-del');
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ externalId: 'client-del', deleted: true });
    expect(await env.db.prisma.user.count({ where: { externalId: 'client-del' } })).toBe(0);
    // Their login link went with them.
    expect(await env.db.prisma.loginToken.count({ where: { userId: ok.json.id } })).toBe(0);
    expect((await env.api('DELETE', '/customers/client-del')).status).toBe(404);
    // Upserting the same client id again makes a new customer.
    expect((await env.api('PUT', '/customers/client-del', { email: 'del@example.test' })).json.created).toBe(true);
  });

  it('never deletes an admin or an unknown id; needs customers:write', async () => {
    expect((await env.api('DELETE', '/customers/nobody-here')).status).toBe(404);
    await env.db.prisma.user.create({ data: { email: `${uniq('boss')}@example.test`, name: 'Boss', role: 'admin', externalId: 'admin-ext' } });
    expect((await env.api('DELETE', '/customers/admin-ext')).status).toBe(404);
    expect(await env.db.prisma.user.count({ where: { externalId: 'admin-ext' } })).toBe(1);
    expect((await env.api('DELETE', '/customers/client-w', undefined, { key: env.keys.readOnly })).status).toBe(403);
    expect(await env.db.prisma.user.count({ where: { externalId: 'client-w' } })).toBe(1);
  });
});
