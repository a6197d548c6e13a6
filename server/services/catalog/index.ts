import type { PrismaClient } from '@/server/db/client';

/** A plan as the catalog lists it (units as on Plan: MiB, %, Mbit/s). */
export interface CatalogPlan {
  id: string; name: string; description: string | null; ram: number; swap: number; diskspace: number; diskinodes: number; cpuunits: number;
  cpulimit: number; cpus: number; numproc: number; bandwidth: number; ipv4Count: number; ipv6Count: number; templates: string[];
}
export interface Catalog {
  plans: CatalogPlan[];
  templates: { id: string; name: string; os: string; version: string; arch: string; description: string | null }[];
  nodeGroups: { id: string; name: string; description: string | null }[];
}

/**
 * What a billing system sells from: active plans (with their allowed template names), enabled
 * templates, node groups, each by name. One statement: billing systems poll this, and every
 * round trip costs the panel CPU (issue 15: five queries per call made it 8x a refused call).
 */
export async function getCatalog(prisma: PrismaClient): Promise<Catalog> {
  const [row] = await prisma.$queryRaw<Catalog[]>`
    SELECT
      (SELECT coalesce(json_agg(x ORDER BY x.name), '[]'::json) FROM (
        SELECT p.id, p.name, p.description, p.ram, p.swap, p.diskspace, p.diskinodes, p.cpuunits, p.cpulimit, p.cpus,
               p.numproc, p.bandwidth, p."ipv4Count", p."ipv6Count",
               coalesce((SELECT array_agg(t.name ORDER BY t.name) FROM "_PlanToTemplate" pt JOIN "Template" t ON t.id = pt."B" WHERE pt."A" = p.id), '{}') AS templates
        FROM "Plan" p WHERE p.active) x) AS plans,
      (SELECT coalesce(json_agg(x ORDER BY x.name), '[]'::json) FROM (
        SELECT t.id, t.name, t.os, t.version, t.arch, t.description FROM "Template" t WHERE t.enabled) x) AS templates,
      (SELECT coalesce(json_agg(x ORDER BY x.name), '[]'::json) FROM (
        SELECT g.id, g.name, g.description FROM "NodeGroup" g) x) AS "nodeGroups"`;
  return row;
}

/** One VE as billing sees it: the ids it maps it by (ctid, externalId) and names, not row ids, of what it uses. */
export interface BillingVe {
  id: string; ctid: number; hostname: string; state: string; externalId: string | null; node: string; plan: string | null; template: string;
  ownerExternalId: string | null; ownerEmail: string | null; ipAddresses: string[]; createdAt: Date;
}

/** Every VE with the ids a billing system maps it by (ctid, externalId), by ctid, in one statement (see getCatalog). */
export async function listVesForBilling(prisma: PrismaClient, filter: { externalId?: string; take?: number; skip?: number } = {}): Promise<BillingVe[]> {
  const externalId = filter.externalId ?? null;
  return prisma.$queryRaw<BillingVe[]>`
    SELECT v.id, v.veid AS ctid, v.hostname, v.state::text AS state, v."externalId", n.name AS node, p.name AS plan, t.name AS template,
           u."externalId" AS "ownerExternalId", u.email AS "ownerEmail",
           ARRAY(SELECT a.address FROM "IpAddress" a WHERE a."veId" = v.id ORDER BY a.address) AS "ipAddresses", v."createdAt"
    FROM "Ve" v
    JOIN "Node" n ON n.id = v."nodeId"
    JOIN "Template" t ON t.id = v."templateId"
    LEFT JOIN "Plan" p ON p.id = v."planId"
    LEFT JOIN "User" u ON u.id = v."ownerId"
    WHERE (${externalId}::text IS NULL OR v."externalId" = ${externalId}::text)
    ORDER BY v.veid
    LIMIT ${filter.take ?? null}::bigint OFFSET ${filter.skip ?? 0}::bigint`;
}

/** Nodes as a billing system sees them: name, group, state (no addresses or keys). */
export async function listNodesForBilling(prisma: PrismaClient) {
  const rows = await prisma.node.findMany({
    orderBy: { name: 'asc' },
    select: { id: true, name: true, state: true, maintenance: true, nodeGroup: { select: { name: true } } },
  });
  return rows.map((n) => ({ id: n.id, name: n.name, state: n.state, maintenance: n.maintenance, nodeGroup: n.nodeGroup?.name ?? null }));
}
