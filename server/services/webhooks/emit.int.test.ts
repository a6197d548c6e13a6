// Which webhooks an event reaches: enabled ones subscribed to it or to every event (no list).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from 'graphile-worker';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { emitWebhookEvent } from '.';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await runMigrations({ connectionString: db.url });
});
afterAll(async () => db?.drop());

describe('emitWebhookEvent', () => {
  it('records one delivery per enabled webhook that listens for the event or for all; builds the payload only then', async () => {
    const hook = (events: string[], enabled = true) => db.prisma.webhook.create({ data: { url: 'https://hooks.example.test/x', secret: 's', events, enabled } });
    const all = await hook([]);
    const destroyed = await hook(['ve.destroyed', 'task.failed']);
    await hook(['ve.suspended']);
    await hook([], false);
    await hook(['ve.destroyed'], false);
    let built = 0;
    const data = async () => { built += 1; return { n: built }; };
    expect(await emitWebhookEvent(db.prisma, 've.destroyed', data)).toBe(2);
    const rows = await db.prisma.webhookDelivery.findMany({ where: { event: 've.destroyed' }, select: { webhookId: true } });
    expect(rows.map((r) => r.webhookId).sort()).toEqual([all.id, destroyed.id].sort());
    expect(built).toBe(1);
    await db.prisma.webhook.updateMany({ data: { enabled: false } });
    expect(await emitWebhookEvent(db.prisma, 'task.succeeded', data)).toBe(0);
    expect(built).toBe(1);
  });
});
