// A seeded control plane served over real HTTP (the panel's own server, no Next) with an admin
// session, a customer's session and a billing API key: what bench/control-plane.ts and its
// integration test measure and check.
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { runMigrations } from 'graphile-worker';
import type { PrismaClient } from '@/server/db/client';
import { createHttpServer } from '@/server/http/server';
import { createUser } from '@/server/services/auth/users';
import { createSession, SESSION_COOKIE } from '@/server/services/auth/sessions';
import { API_SCOPES, createApiKey } from '@/server/services/auth/apiKeys';
import { seedFleet, type FleetSeedResult, type FleetSize } from './fleet';
import type { PageContext } from './control-plane-pages';

export interface ControlPlane {
  ctx: PageContext;
  /** The raw-SQL side's own connection. */
  raw: pg.Client;
  seeded: FleetSeedResult;
  close(): Promise<void>;
}

const cookieOf = (token: string) => `${SESSION_COOKIE}=${encodeURIComponent(token)}`;

export async function startControlPlane(prisma: PrismaClient, url: string, size: FleetSize): Promise<ControlPlane> {
  await runMigrations({ connectionString: url });
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  const seeded = await seedFleet(raw, size);
  const admin = await createUser(prisma, { email: `bench-admin-${Date.now()}@example.test`, password: 'correct horse battery', role: 'admin' });
  const customer = await prisma.user.findUniqueOrThrow({ where: { email: `fleet-${Math.min(42, size.customers)}@customers.test` } });
  const apiKey = (await createApiKey(prisma, { name: `bench-${Date.now()}`, scopes: [...API_SCOPES] })).token;
  const node = await prisma.node.findUniqueOrThrow({ where: { name: 'fleet-0007' } });
  const statusIds = (await prisma.ve.findMany({ where: { hostname: { startsWith: 'vps' } }, select: { id: true }, orderBy: { ctid: 'asc' }, skip: Math.floor(size.ves / 3), take: 50 })).map((v) => v.id);
  const { server } = createHttpServer({ prisma });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const ctx: PageContext = {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    adminCookie: cookieOf((await createSession(prisma, admin.id)).token),
    customerCookie: cookieOf((await createSession(prisma, customer.id)).token),
    customerId: customer.id,
    apiKey,
    nodeId: node.id,
    statusIds,
  };
  return {
    ctx, raw, seeded,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await raw.end();
    },
  };
}
