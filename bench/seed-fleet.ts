// Seeds a control plane of hosting-company size into the panel database at DATABASE_URL (migrated):
// 100,000 VEs with an address and a task each, 20,000 customers, 200 nodes (bench/lib/fleet.ts).
// Usage: DATABASE_URL=postgres://… npx tsx bench/seed-fleet.ts [--ves 100000] [--customers 20000] [--nodes 200]
import pg from 'pg';
import { flag } from '@/agents/src/daemon/config';
import { seedFleet } from './lib/fleet';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('seed-fleet: set DATABASE_URL to a migrated panel database (a fresh one: a seeded database is refused)');
  process.exit(2);
}
const c = new pg.Client({ connectionString: url });
await c.connect();
try {
  const r = await seedFleet(c, {
    ves: Number(flag(process.argv, 'ves') ?? 100_000),
    customers: Number(flag(process.argv, 'customers') ?? 20_000),
    nodes: Number(flag(process.argv, 'nodes') ?? 200),
  });
  console.log(`seeded ${r.ves} VEs, ${r.customers} customers, ${r.nodes} nodes, ${r.tasks} tasks in ${(r.ms / 1000).toFixed(1)} s`);
} catch (e) {
  console.error(`seed-fleet: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  await c.end();
}
