// The control-plane benchmark's code paths at CI size (10,000 VEs, 2,000 customers, 20 nodes): the
// seed works, and every measured page, served by the panel over HTTP, gives the same rows as the
// raw SQL the benchmark times it against. No timing assertions (bench/control-plane.ts measures).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';
import { closeApiKeyCaches } from '@/server/services/auth/apiKeyCache';
import { startControlPlane, type ControlPlane } from './lib/control-plane-env';
import { PAGES } from './lib/control-plane-pages';

let db: TestDatabase;
let cp: ControlPlane;

beforeAll(async () => {
  db = await createTestDatabase();
  cp = await startControlPlane(db.prisma, db.url, { ves: 10_000, customers: 2_000, nodes: 20 });
}, 300_000);

afterAll(async () => {
  await cp?.close();
  await closeApiKeyCaches();
  await db?.drop();
});

describe('control plane at 10,000 VEs', () => {
  it('seeds the fleet: VEs with an address and a task each, spread over customers and nodes', async () => {
    expect(cp.seeded).toMatchObject({ ves: 10_000, customers: 2_000, nodes: 20, tasks: 10_000 });
    expect(await db.prisma.ve.count()).toBe(10_000);
    expect(await db.prisma.ipAddress.count({ where: { veId: { not: null } } })).toBe(10_000);
    expect(await db.prisma.ve.count({ where: { ownerId: cp.ctx.customerId } })).toBe(5);
  });

  it('refuses to seed a database that already has a fleet', async () => {
    const { seedFleet } = await import('./lib/fleet');
    await expect(seedFleet(cp.raw, { ves: 10, customers: 1, nodes: 1 })).rejects.toThrow(/already has a seeded fleet/);
    expect(await db.prisma.ve.count()).toBe(10_000);
  });

  for (const page of PAGES) {
    it(`${page.name}: the panel's answer equals the raw SQL's`, async () => {
      const [panel, raw] = [await page.panel(cp.ctx), await page.raw(cp.raw, cp.ctx)];
      expect(panel.length).toBeGreaterThan(0);
      expect(panel).toEqual(raw);
    });
  }
});
