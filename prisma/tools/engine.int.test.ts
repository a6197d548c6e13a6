import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/test/db';

describe('test database', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it('creates a migrated database quickly and queries it through createPrisma', async () => {
    const first = await createTestDatabase();
    dbs.push(first);
    const t0 = Date.now();
    const db = await createTestDatabase();
    dbs.push(db);
    expect(Date.now() - t0).toBeLessThan(2000);
    const user = await db.prisma.user.create({ data: { email: 'a@example.com', name: 'A', backupCodeHashes: ['x'] } });
    expect(user.role).toBe('customer');
    expect(await first.prisma.user.count()).toBe(0);
  });
});
