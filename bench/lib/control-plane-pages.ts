// The control plane's busiest pages, each twice: as the browser or a billing module asks the panel
// over HTTP (session cookie or API key), and as the raw SQL a hand-written page would run for the
// same rows in one round trip. bench/control-plane.ts times both; the integration test checks that
// both give the same rows on a small fleet.
import type pg from 'pg';

export interface PageContext {
  /** http://127.0.0.1:<port> */
  base: string;
  adminCookie: string;
  customerCookie: string;
  customerId: string;
  apiKey: string;
  nodeId: string;
  /** 50 VE ids for the billing status call. */
  statusIds: string[];
}

export interface Page {
  name: string;
  /** The panel's answer: the ids (or a count) that the raw query must match. */
  panel(ctx: PageContext): Promise<string[]>;
  raw(c: pg.Client, ctx: PageContext): Promise<string[]>;
}

async function trpc(ctx: PageContext, cookie: string, proc: string, input: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${ctx.base}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { cookie } });
  const body = (await res.json()) as { result?: { data: unknown }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${proc}: HTTP ${res.status} ${JSON.stringify(body.error).slice(0, 300)}`);
  return body.result.data;
}

// The admin table's row, as listVes selects it (relations joined, addresses aggregated).
const VE_ROW = `
  SELECT v.id, v.veid, v.hostname, v.state, v."externalId", v.limits, v."suspendedAt", v."createdAt",
    n.id AS node_id, n.name AS node_name, p.id AS plan_id, p.name AS plan_name, t.id AS tpl_id, t.name AS tpl_name,
    u.id AS owner_id, u.email AS owner_email, u.name AS owner_name,
    ARRAY(SELECT a.address FROM "IpAddress" a WHERE a."veId" = v.id ORDER BY a.address) AS ips
  FROM "Ve" v JOIN "Node" n ON n.id = v."nodeId" JOIN "Template" t ON t.id = v."templateId"
    LEFT JOIN "Plan" p ON p.id = v."planId" LEFT JOIN "User" u ON u.id = v."ownerId"`;

// Total and page in one statement (the count is an uncorrelated subquery: computed once).
async function rawList(c: pg.Client, where: string, order: string, offset: number, params: unknown[]): Promise<string[]> {
  const r = await c.query<{ id: string; total: string }>(
    `SELECT (SELECT count(*) FROM "Ve" v WHERE ${where}) AS total, page.* FROM (${VE_ROW} WHERE ${where} ORDER BY ${order} LIMIT 50 OFFSET ${offset}) page`, params);
  return r.rows.map((x) => x.id);
}

// Customers matched first (an array the planner sees as one value), so the OR stays a BitmapOr of Ve indexes.
const SEARCH = `v.hostname ILIKE '%' || $1 || '%' OR v."externalId" = $1
  OR v."ownerId" = ANY(ARRAY(SELECT id FROM "User" WHERE email LIKE '%' || lower($1) || '%' OR name ILIKE '%' || $1 || '%'))`;

const ids = (d: { items: Array<{ id: string }> }) => d.items.map((i) => i.id);

export const PAGES: Page[] = [
  {
    name: 'admin VE list, page 1',
    panel: async (ctx) => ids(await trpc(ctx, ctx.adminCookie, 'ves.list', {})),
    raw: (c) => rawList(c, 'true', 'v.veid', 0, []),
  },
  {
    name: 'admin search: host name',
    panel: async (ctx) => ids(await trpc(ctx, ctx.adminCookie, 'ves.list', { q: 'vps4242.' })),
    raw: (c) => rawList(c, SEARCH, 'v.veid', 0, ['vps4242.']),
  },
  {
    name: 'admin search: customer email',
    panel: async (ctx) => ids(await trpc(ctx, ctx.adminCookie, 'ves.list', { q: 'fleet-777@customers' })),
    raw: (c) => rawList(c, SEARCH, 'v.veid', 0, ['fleet-777@customers']),
  },
  {
    name: 'admin filter: node + running, by host name',
    panel: async (ctx) => ids(await trpc(ctx, ctx.adminCookie, 'ves.list', { nodeId: ctx.nodeId, state: ['running'], sort: 'hostname' })),
    raw: (c, ctx) => rawList(c, `v."nodeId" = $1 AND v.state = 'running'`, 'v.hostname, v.veid', 0, [ctx.nodeId]),
  },
  {
    name: 'admin filter: suspended, page 5',
    panel: async (ctx) => ids(await trpc(ctx, ctx.adminCookie, 'ves.list', { state: ['suspended'], page: 5 })),
    raw: (c) => rawList(c, `v.state = 'suspended'`, 'v.veid', 200, []),
  },
  {
    name: 'portal: my VEs',
    panel: async (ctx) => ids(await trpc(ctx, ctx.customerCookie, 'portal.myVes', {})),
    raw: (c, ctx) => rawList(c, `v."ownerId" = $1`, 'v.veid', 0, [ctx.customerId]),
  },
  {
    name: 'billing: status of 50 VEs',
    panel: async (ctx) => {
      const res = await fetch(`${ctx.base}/api/v1/ves/status?ids=${ctx.statusIds.join(',')}`, { headers: { authorization: `Bearer ${ctx.apiKey}` } });
      const body = (await res.json()) as { ves: Array<{ id: string }> };
      if (!res.ok) throw new Error(`billing status: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      return body.ves.map((v) => v.id);
    },
    raw: async (c, ctx) => (await c.query<{ id: string }>(`
      SELECT v.id, v.veid, v."externalId", v.hostname, v.state, v."suspendedAt", v."suspendReason", v."suspendMode", v."prevPowerState", v."lastError", v."updatedAt",
        (SELECT count(*) FROM "Task" t WHERE t."veId" = v.id AND t.status IN ('queued', 'running')) AS pending
      FROM "Ve" v WHERE v.id = ANY($1::text[]) ORDER BY v.veid`, [ctx.statusIds])).rows.map((x) => x.id),
  },
  {
    name: 'admin dashboard (5 calls, one batch)',
    panel: async (ctx) => {
      const calls = { 'nodes.list': undefined, 'ves.stats': {}, 'tasks.list': { status: ['queued', 'running'], pageSize: 10 }, 'tasks.list ': { pageSize: 8 }, 'reconcile.list': { pageSize: 5 } };
      const names = Object.keys(calls).map((k) => k.trim());
      const input = Object.fromEntries(Object.values(calls).map((v, i) => [i, v]));
      const res = await fetch(`${ctx.base}/api/trpc/${names.join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { cookie: ctx.adminCookie } });
      const body = (await res.json()) as Array<{ result?: { data: any } }>; // eslint-disable-line @typescript-eslint/no-explicit-any
      if (!res.ok || body.some((b) => !b.result)) throw new Error(`dashboard: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      const [nodes, stats, active, recent] = body.map((b) => b.result!.data);
      return [`nodes ${nodes.length}`, `ves ${stats.total}`, `drift ${stats.drift.count}`, `active ${active.total}`, `tasks ${recent.total}`];
    },
    raw: async (c) => {
      // One round trip: node rows, VE counts per state, drift count and first ten, both task panels, open issues.
      const r = (await c.query(`
        SELECT id, name, address, state, "stateReason", maintenance, capabilities, info, "lastSeenAt", "nodeGroupId" FROM "Node" ORDER BY name;
        SELECT state, count(*) FROM "Ve" GROUP BY state;
        SELECT count(*) FROM "Ve" WHERE drift <> '{}'::jsonb;
        SELECT id, veid, hostname, drift FROM "Ve" WHERE drift <> '{}'::jsonb ORDER BY veid LIMIT 10;
        SELECT t.*, n.name, u.email, count(*) OVER () AS total FROM "Task" t LEFT JOIN "Node" n ON n.id = t."nodeId" LEFT JOIN "User" u ON u.id = t."userId"
          WHERE t.status IN ('queued', 'running') ORDER BY t."createdAt" DESC, t.id DESC LIMIT 10;
        SELECT count(*) FROM "Task";
        SELECT t.*, n.name, u.email FROM "Task" t LEFT JOIN "Node" n ON n.id = t."nodeId" LEFT JOIN "User" u ON u.id = t."userId" ORDER BY t."createdAt" DESC, t.id DESC LIMIT 8;
        SELECT i.*, n.name, count(*) OVER () AS total FROM "ReconcileIssue" i JOIN "Node" n ON n.id = i."nodeId" WHERE i."resolvedAt" IS NULL ORDER BY i."detectedAt" DESC LIMIT 5;
      `)) as unknown as pg.QueryResult[];
      const states = r[1].rows.reduce((s: number, x: { count: string }) => s + Number(x.count), 0);
      return [`nodes ${r[0].rowCount}`, `ves ${states}`, `drift ${r[2].rows[0].count}`, `active ${r[4].rows[0]?.total ?? 0}`, `tasks ${r[5].rows[0].count}`];
    },
  },
];
