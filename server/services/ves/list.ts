// VE table queries: server-side search, filters, sort and pagination over the indexed Ve columns.
import { z } from 'zod';
import { Prisma, type PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { parseOrBadInput } from '@/server/services/plans/limits';
import { canonicalIp } from '@/server/services/ippools/ip';
import { scoped, VE_NOT_FOUND } from './scope';

export const VE_STATES = ['creating', 'stopped', 'running', 'suspended', 'migrating', 'reinstalling', 'error', 'destroying', 'restoring'] as const;
export const VE_SORTS = ['ctid', 'hostname', 'state', 'createdAt', 'node'] as const;

export const ListVesInput = z.object({
  /** Free text: a CTID, a host name part, an address (or its start), a customer's email or name, an external id. */
  q: z.string().trim().max(200).optional(),
  nodeId: z.string().max(64).optional(),
  planId: z.string().max(64).optional(),
  templateId: z.string().max(64).optional(),
  ownerId: z.string().max(64).optional(),
  state: z.union([z.enum(VE_STATES), z.array(z.enum(VE_STATES)).max(VE_STATES.length)]).optional(),
  sort: z.enum(VE_SORTS).default('ctid'),
  dir: z.enum(['asc', 'desc']).default('asc'),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});
export type ListVesInput = z.input<typeof ListVesInput>;

// Owner and address matches are resolved to ids first, so the final OR is a BitmapOr of Ve indexes
// (trigram on hostname, veid, externalId, ownerId, id) instead of a join that forces a full scan.
const MAX_SIDE_MATCHES = 1000;

// LIKE metacharacters in the search text match themselves.
const likeEscaped = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

// One text box searches every field an operator might paste.
async function search(prisma: PrismaClient, q: string): Promise<Prisma.Sql> {
  const or: Prisma.Sql[] = [Prisma.sql`v.hostname ILIKE ${`%${likeEscaped(q)}%`}`, Prisma.sql`v."externalId" = ${q}`];
  if (/^\d{1,10}$/.test(q) && Number(q) <= 2_147_483_647) or.push(Prisma.sql`v.veid = ${Number(q)}`);
  const ip = canonicalIp(q);
  const ipPrefix = !ip && /^[0-9a-f.:]+$/i.test(q) && /[.:]/.test(q) ? q.toLowerCase() : null;
  // The side lookups run together (one round trip), each on its own index.
  const [addrs, users] = await Promise.all([
    ip || ipPrefix
      ? prisma.ipAddress.findMany({ where: { address: ip ? ip : { startsWith: ipPrefix! }, veId: { not: null } }, select: { veId: true }, take: MAX_SIDE_MATCHES })
      : [],
    /^\d+$/.test(q)
      ? []
      : prisma.user.findMany({ where: { OR: [{ email: { contains: q.toLowerCase() } }, { name: { contains: q, mode: 'insensitive' } }] }, select: { id: true }, take: MAX_SIDE_MATCHES }),
  ]);
  if (addrs.length) or.push(Prisma.sql`v.id = ANY(${addrs.map((r) => r.veId!)}::text[])`);
  if (users.length) or.push(Prisma.sql`v."ownerId" = ANY(${users.map((u) => u.id)}::text[])`);
  return Prisma.sql`(${Prisma.join(or, ' OR ')})`;
}

const dirSql = (d: 'asc' | 'desc') => Prisma.raw(d === 'desc' ? 'DESC' : 'ASC');
const ORDER: Record<(typeof VE_SORTS)[number], (d: 'asc' | 'desc') => Prisma.Sql> = {
  ctid: (d) => Prisma.sql`v.veid ${dirSql(d)}`,
  hostname: (d) => Prisma.sql`v.hostname ${dirSql(d)}, v.veid ASC`,
  state: (d) => Prisma.sql`v.state ${dirSql(d)}, v.veid ASC`,
  createdAt: (d) => Prisma.sql`v."createdAt" ${dirSql(d)}, v.veid ASC`,
  node: (d) => Prisma.sql`n.name ${dirSql(d)}, v.veid ASC`,
};

export const veListSelect = {
  id: true, ctid: true, hostname: true, state: true, externalId: true, limits: true, suspendedAt: true, createdAt: true,
  node: { select: { id: true, name: true } },
  plan: { select: { id: true, name: true } },
  template: { select: { id: true, name: true } },
  owner: { select: { id: true, email: true, name: true } },
  ipAddresses: { select: { address: true }, orderBy: { address: 'asc' } },
} as const satisfies Prisma.VeSelect;

export type VeListRow = Prisma.VeGetPayload<{ select: typeof veListSelect }>;

/** The only narrowing a VE list takes: a customer's own VEs (ownerScope). */
export type VeListScope = { ownerId: string };

interface PageRow {
  total: number;
  id: string | null;
  ctid: number;
  hostname: string;
  state: VeListRow['state'];
  externalId: string | null;
  limits: VeListRow['limits'];
  suspendedAt: Date | null;
  createdAt: Date;
  node_id: string; node_name: string;
  plan_id: string | null; plan_name: string | null;
  tpl_id: string; tpl_name: string;
  owner_id: string | null; owner_email: string | null; owner_name: string | null;
  ips: string[];
}

/**
 * One page of VEs matching the filters, plus the total, in one SQL statement (one round trip: the
 * count and the page with its node, plan, template, owner and addresses). `scope` narrows
 * everything (pass ownerScope(user) for customers; admins pass none).
 */
export async function listVes(prisma: PrismaClient, filters: ListVesInput = {}, scope?: VeListScope) {
  const f = parseOrBadInput(ListVesInput, filters);
  const and: Prisma.Sql[] = [];
  if (scope) {
    if (!scope.ownerId) throw new Error('listVes: an empty owner scope would widen to everything');
    and.push(Prisma.sql`v."ownerId" = ${scope.ownerId}`);
  }
  if (f.q) and.push(await search(prisma, f.q));
  if (f.nodeId) and.push(Prisma.sql`v."nodeId" = ${f.nodeId}`);
  if (f.planId) and.push(Prisma.sql`v."planId" = ${f.planId}`);
  if (f.templateId) and.push(Prisma.sql`v."templateId" = ${f.templateId}`);
  if (f.ownerId) and.push(Prisma.sql`v."ownerId" = ${f.ownerId}`);
  if (f.state) and.push(Prisma.sql`v.state = ANY(${Array.isArray(f.state) ? f.state : [f.state]}::"VeState"[])`);
  const where = and.length ? Prisma.join(and, ' AND ') : Prisma.sql`true`;
  // The count is an uncorrelated subquery (computed once); LEFT JOIN LATERAL keeps it when the page is empty.
  const rows = await prisma.$queryRaw<PageRow[]>`
    SELECT c.total, page.* FROM (SELECT count(*)::int AS total FROM "Ve" v WHERE ${where}) c
    LEFT JOIN LATERAL (
      SELECT v.id, v.veid AS ctid, v.hostname, v.state::text AS state, v."externalId", v.limits, v."suspendedAt", v."createdAt",
        n.id AS node_id, n.name AS node_name, p.id AS plan_id, p.name AS plan_name, t.id AS tpl_id, t.name AS tpl_name,
        u.id AS owner_id, u.email AS owner_email, u.name AS owner_name,
        ARRAY(SELECT a.address FROM "IpAddress" a WHERE a."veId" = v.id ORDER BY a.address) AS ips
      FROM "Ve" v JOIN "Node" n ON n.id = v."nodeId" JOIN "Template" t ON t.id = v."templateId"
        LEFT JOIN "Plan" p ON p.id = v."planId" LEFT JOIN "User" u ON u.id = v."ownerId"
      WHERE ${where} ORDER BY ${ORDER[f.sort](f.dir)} LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}
    ) page ON true`;
  const items = rows.filter((r) => r.id !== null).map((r) => ({
    id: r.id!, ctid: r.ctid, hostname: r.hostname, state: r.state, externalId: r.externalId, limits: r.limits, suspendedAt: r.suspendedAt, createdAt: r.createdAt,
    node: { id: r.node_id, name: r.node_name },
    plan: r.plan_id ? { id: r.plan_id, name: r.plan_name! } : null,
    template: { id: r.tpl_id, name: r.tpl_name },
    owner: r.owner_id ? { id: r.owner_id, email: r.owner_email!, name: r.owner_name! } : null,
    ipAddresses: r.ips,
  }));
  return { total: rows[0]?.total ?? 0, page: f.page, pageSize: f.pageSize, items };
}

/** One VE with its addresses (with pool details); NOT_FOUND when missing or outside `scope`. */
export async function getVe(prisma: PrismaClient, id: string, scope?: Prisma.VeWhereInput) {
  const ve = await prisma.ve.findFirst({
    where: scoped({ id }, scope),
    select: {
      ...veListSelect,
      overrides: true, suspendReason: true, suspendMode: true, prevPowerState: true, lastError: true, tags: true, updatedAt: true, onboot: true,
      ipAddresses: { select: { address: true, pool: { select: { id: true, name: true, family: true, prefix: true, gateway: true, nameservers: true } } }, orderBy: { address: 'asc' } },
    },
  });
  if (!ve) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  return ve;
}
