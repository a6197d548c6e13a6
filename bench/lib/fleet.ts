// A hosting company's control plane in Postgres, generated inside the database (INSERT … SELECT
// generate_series: no row crosses the wire): nodes, customers, plans, templates, one address pool,
// VEs spread over nodes and customers with one address each, one finished task per VE and a few
// running ones, a sprinkle of drift. Used by bench/seed-fleet.ts, bench/control-plane.ts and the
// control-plane integration test. All names start with "fleet-" so a second seed is refused.
import type pg from 'pg';

export interface FleetSize { ves: number; customers: number; nodes: number }

export interface FleetSeedResult extends FleetSize { ms: number; tasks: number }

/** Seeds the fleet on `c` (one transaction); refuses a database that already has one. */
export async function seedFleet(c: pg.Client, size: FleetSize): Promise<FleetSeedResult> {
  const { ves, customers, nodes } = size;
  for (const [k, v] of Object.entries(size)) if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive whole number, got ${v}`);
  if (ves > 16_000_000) throw new Error('at most 16,000,000 VEs (one 10.0.0.0/8 address each)');
  const t0 = Date.now();
  const exists = await c.query(`SELECT 1 FROM "Node" WHERE name = 'fleet-0001' LIMIT 1`);
  if (exists.rowCount) throw new Error('this database already has a seeded fleet (node fleet-0001): use a fresh database');
  await c.query('BEGIN');
  try {
    await c.query(`
      INSERT INTO "Node" (id, name, address, transport, state, capabilities, info, "lastSeenAt", "createdAt", "updatedAt")
      SELECT gen_random_uuid(), 'fleet-' || lpad(g::text, 4, '0'), '10.255.' || (g / 256) || '.' || (g % 256), 'ssh'::"NodeTransport", (CASE WHEN g % 50 = 0 THEN 'offline' ELSE 'online' END)::"NodeState",
        '{}'::jsonb,
        jsonb_build_object('cpus', 32, 'memory', jsonb_build_object('totalBytes', 274877906944, 'availableBytes', 137438953472),
          'disk', jsonb_build_object('path', '/var/lib/vz', 'totalBytes', 4398046511104, 'freeBytes', 2199023255552),
          'load', jsonb_build_array(1.5, 1.2, 1.0), 'uptimeSeconds', 864000, 'ves', jsonb_build_object('total', $2::int / $1::int, 'running', ($2::int / $1::int) * 4 / 5)),
        now(), now(), now()
      FROM generate_series(1, $1::int) g`, [nodes, ves]);
    await c.query(`
      INSERT INTO "User" (id, email, name, role, "createdAt", "updatedAt")
      SELECT gen_random_uuid(), 'fleet-' || g || '@customers.test', 'Fleet Customer ' || g, 'customer'::"Role", now() - (g || ' minutes')::interval, now()
      FROM generate_series(1, $1::int) g`, [customers]);
    await c.query(`
      INSERT INTO "Plan" (id, name, ram, diskspace, diskinodes, "createdAt", "updatedAt")
      SELECT gen_random_uuid(), 'fleet-plan-' || g, 512 * g, 10240 * g, 200000 * g, now(), now() FROM generate_series(1, 5) g`);
    await c.query(`
      INSERT INTO "Template" (id, name, os, version, arch, "sizeBytes", sha256, "createdAt", "updatedAt")
      SELECT gen_random_uuid(), 'fleet-' || os || '-x86_64', os, '1', 'x86_64', 1, repeat('0', 64), now(), now()
      FROM unnest(ARRAY['debian-12', 'ubuntu-24.04', 'almalinux-9']) os`);
    await c.query(`
      INSERT INTO "IpPool" (id, name, cidr, family, gateway, prefix, "createdAt", "updatedAt")
      VALUES (gen_random_uuid(), 'fleet-pool', '10.0.0.0/8', 4, '10.0.0.1', 8, now(), now())`);
    // VE g: node g % nodes, owner g % customers, plan and template round-robin; 80% running,
    // 14% stopped, 5% suspended, 1% error; one in 500 has drift.
    await c.query(`
      WITH n AS (SELECT array_agg(id ORDER BY name) a FROM "Node" WHERE name LIKE 'fleet-%'),
           u AS (SELECT array_agg(id ORDER BY email) a FROM "User" WHERE email LIKE 'fleet-%@customers.test'),
           p AS (SELECT array_agg(id ORDER BY name) a FROM "Plan" WHERE name LIKE 'fleet-plan-%'),
           t AS (SELECT array_agg(id ORDER BY name) a FROM "Template" WHERE name LIKE 'fleet-%')
      INSERT INTO "Ve" (id, veid, hostname, "nodeId", "planId", "templateId", "ownerId", state, limits, drift, "externalId", "suspendedAt", "suspendReason", "createdAt", "updatedAt")
      SELECT gen_random_uuid(), 100000 + g, 'vps' || g || '.fleet-' || (g % 997) || '.example.com',
        n.a[1 + g % array_length(n.a, 1)], p.a[1 + g % 5], t.a[1 + g % 3], u.a[1 + g % array_length(u.a, 1)],
        (CASE WHEN g % 100 < 80 THEN 'running' WHEN g % 100 < 94 THEN 'stopped' WHEN g % 100 < 99 THEN 'suspended' ELSE 'error' END)::"VeState",
        jsonb_build_object('ram', 536870912, 'diskspace', 10737418240, 'cpus', 1),
        CASE WHEN g % 500 = 0 THEN jsonb_build_object('hostname', jsonb_build_object('panel', 'a', 'node', 'b', 'seenAt', now())) ELSE '{}'::jsonb END,
        'whmcs-' || g, CASE WHEN g % 100 BETWEEN 94 AND 98 THEN now() END, CASE WHEN g % 100 BETWEEN 94 AND 98 THEN 'unpaid' END,
        now() - (g || ' seconds')::interval, now()
      FROM generate_series(1, $1::int) g, n, u, p, t`, [ves]);
    await c.query(`
      INSERT INTO "IpAddress" (id, address, "poolId", "veId", "assignedAt", "createdAt")
      SELECT gen_random_uuid(), '10.' || ((v.veid - 100000 + 256) / 65536) || '.' || (((v.veid - 100000 + 256) / 256) % 256) || '.' || ((v.veid - 100000 + 256) % 256),
        (SELECT id FROM "IpPool" WHERE name = 'fleet-pool'), v.id, now(), now()
      FROM "Ve" v WHERE v.hostname LIKE 'vps%.fleet-%'`);
    // One finished create per VE, and 20 running ones (the dashboard's "active" panel).
    const tasks = await c.query(`
      INSERT INTO "Task" (id, type, status, progress, "opId", "veId", veid, "nodeId", "userId", "createdAt", "startedAt", "finishedAt", "updatedAt")
      SELECT gen_random_uuid(), 've.create', (CASE WHEN row_number() OVER () <= 20 THEN 'running' ELSE 'succeeded' END)::"TaskStatus", 100, gen_random_uuid()::text,
        v.id, v.veid, v."nodeId", v."ownerId", v."createdAt", v."createdAt", v."createdAt", now()
      FROM "Ve" v WHERE v.hostname LIKE 'vps%.fleet-%'`);
    await c.query('COMMIT');
    await c.query('ANALYZE');
    return { ...size, tasks: tasks.rowCount ?? 0, ms: Date.now() - t0 };
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
