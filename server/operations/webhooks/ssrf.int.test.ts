// Webhook deliveries never reach loopback, link-local/metadata or the node and VE networks unless an
// admin allow-lists the network; the connection goes to the address that was checked. Real Postgres,
// real HTTP receiver on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { seedUser } from '@/test/fixtures/panel';
import { createCaller } from '@/server/api/root';
import { createInnerContext } from '@/server/api/context';
import { createSession } from '@/server/services/auth/sessions';
import { createPool } from '@/server/services/ippools';
import { deliverOnce, post } from './deliver';

let db: TestDatabase;
let receiver: http.Server;
let port = 0;
const hits: Array<{ host?: string; path?: string }> = [];
const net = 100 + Math.floor(Math.random() * 150);

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url }); // a failed attempt re-queues its job
  await createPool(db.prisma, { name: `acct-pool-${net}`, cidr: `10.199.${net}.0/24`, gateway: `10.199.${net}.1`, nameservers: [] });
  receiver = http.createServer((req, res) => {
    hits.push({ host: req.headers.host, path: req.url });
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
  await db?.drop();
});

async function deliverTo(url: string) {
  const hook = await db.prisma.webhook.create({ data: { url, secret: 'whsec_test', events: [] } });
  const d = await db.prisma.webhookDelivery.create({ data: { webhookId: hook.id, event: 'task.succeeded', payload: { hello: 1 }, nextAttemptAt: new Date() } });
  await deliverOnce(db.prisma, d.id);
  return db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: d.id } });
}

describe('webhook destinations', () => {
  it('refuses loopback (by address or by name), metadata and the VE network; nothing is sent', async () => {
    const cases: Array<[string, RegExp]> = [
      [`http://127.0.0.1:${port}/hook`, /loopback/],
      [`http://localhost:${port}/hook`, /loopback/],
      [`http://[::ffff:127.0.0.1]:${port}/hook`, /loopback/],
      [`http://127.1.2.3:${port}/hook`, /loopback/],
      ['http://169.254.169.254/latest/meta-data/', /link-local|metadata/],
      [`http://10.199.${net}.20/hook`, /node or VE network/],
      ['http://[fe80::1]/hook', /link-local/],
    ];
    for (const [url, why] of cases) {
      const d = await deliverTo(url);
      expect([url, d.status, d.error]).toEqual([url, 'pending', expect.stringMatching(why)]);
      expect(d.error).toContain('allow-list');
    }
    expect(hits).toEqual([]);
  });

  it('delivers to an allow-listed network once an admin says so', async () => {
    const admin = createCaller(await createInnerContext(db.prisma, { sessionToken: (await createSession(db.prisma, (await seedUser(db.prisma, 'admin')).id)).token }));
    await expect(admin.webhooks.setAllowedNetworks({ networks: ['127.0.0.1/33'] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await admin.webhooks.setAllowedNetworks({ networks: ['127.0.0.1/32'] })).toEqual({ networks: ['127.0.0.1/32'] });
    expect(await admin.webhooks.allowedNetworks()).toEqual({ networks: ['127.0.0.1/32'] });
    const d = await deliverTo(`http://127.0.0.1:${port}/allowed`);
    expect(d).toMatchObject({ status: 'succeeded', responseStatus: 200 });
    expect(hits).toEqual([{ host: `127.0.0.1:${port}`, path: '/allowed' }]);
    // Still refused: another loopback address outside the allowed /32.
    expect((await deliverTo(`http://127.0.0.2:${port}/x`)).error).toMatch(/loopback/);
  });

  it('connects to the checked address, not to whatever the name resolves to at connect time', async () => {
    hits.length = 0;
    const r = await post(`http://hooks.billing.invalid:${port}/pinned`, { address: '127.0.0.1', family: 4 }, '{}', { 'Content-Type': 'application/json' });
    expect(r).toMatchObject({ status: 200 });
    expect(hits).toEqual([{ host: `hooks.billing.invalid:${port}`, path: '/pinned' }]);
  });
});
