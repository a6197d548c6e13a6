// The panel's HTTP server alone (tRPC + REST, no Next, no worker) in its own process for load
// benchmarks, so the load generator does not share its event loop. Pool size as server/main.ts
// (getPrisma: 10) unless PANEL_POOL_MAX says otherwise. Prints "PORT <n>" once listening.
import type { AddressInfo } from 'node:net';
import { createPrisma } from '@/server/db/client';
import { createHttpServer } from '@/server/http/server';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const prisma = createPrisma(url, { max: Number(process.env.PANEL_POOL_MAX ?? 10) });
const { server } = createHttpServer({ prisma });
server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => void prisma.$disconnect().finally(() => process.exit(0))));
