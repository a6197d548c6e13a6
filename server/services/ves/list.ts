// VE table queries: server-side search, filters, sort and pagination over the indexed Ve columns.
import { z } from 'zod';
import type { Prisma, PrismaClient } from '@/server/db/client';
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

// One text box searches every field an operator might paste.
async function search(prisma: PrismaClient, q: string): Promise<Prisma.VeWhereInput> {
  const or: Prisma.VeWhereInput[] = [{ hostname: { contains: q, mode: 'insensitive' } }, { externalId: q }];
  if (/^\d{1,10}$/.test(q) && Number(q) <= 2_147_483_647) or.push({ ctid: Number(q) });
  const ip = canonicalIp(q);
  const ipPrefix = !ip && /^[0-9a-f.:]+$/i.test(q) && /[.:]/.test(q) ? q.toLowerCase() : null;
  if (ip || ipPrefix) {
    const rows = await prisma.ipAddress.findMany({
      where: { address: ip ? ip : { startsWith: ipPrefix! }, veId: { not: null } },
      select: { veId: true },
      take: MAX_SIDE_MATCHES,
    });
    if (rows.length) or.push({ id: { in: rows.map((r) => r.veId!) } });
  }
  if (!/^\d+$/.test(q)) {
    const users = await prisma.user.findMany({
      where: { OR: [{ email: { contains: q.toLowerCase() } }, { name: { contains: q, mode: 'insensitive' } }] },
      select: { id: true },
      take: MAX_SIDE_MATCHES,
    });
    if (users.length) or.push({ ownerId: { in: users.map((u) => u.id) } });
  }
  return { OR: or };
}

const ORDER: Record<(typeof VE_SORTS)[number], (d: 'asc' | 'desc') => Prisma.VeOrderByWithRelationInput[]> = {
  ctid: (d) => [{ ctid: d }],
  hostname: (d) => [{ hostname: d }, { ctid: 'asc' }],
  state: (d) => [{ state: d }, { ctid: 'asc' }],
  createdAt: (d) => [{ createdAt: d }, { ctid: 'asc' }],
  node: (d) => [{ node: { name: d } }, { ctid: 'asc' }],
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

/**
 * One page of VEs matching the filters, plus the total. `scope` narrows everything (pass
 * ownerScope(user) for customers; admins pass none).
 */
export async function listVes(prisma: PrismaClient, filters: ListVesInput = {}, scope?: Prisma.VeWhereInput) {
  const f = parseOrBadInput(ListVesInput, filters);
  const and: Prisma.VeWhereInput[] = [];
  if (f.q) and.push(await search(prisma, f.q));
  if (f.nodeId) and.push({ nodeId: f.nodeId });
  if (f.planId) and.push({ planId: f.planId });
  if (f.templateId) and.push({ templateId: f.templateId });
  if (f.ownerId) and.push({ ownerId: f.ownerId });
  if (f.state) and.push({ state: Array.isArray(f.state) ? { in: f.state } : f.state });
  const where = scoped(and.length ? { AND: and } : {}, scope);
  const [total, rows] = await Promise.all([
    prisma.ve.count({ where }),
    prisma.ve.findMany({ where, select: veListSelect, orderBy: ORDER[f.sort](f.dir), skip: (f.page - 1) * f.pageSize, take: f.pageSize }),
  ]);
  return { total, page: f.page, pageSize: f.pageSize, items: rows.map((v) => ({ ...v, ipAddresses: v.ipAddresses.map((a) => a.address) })) };
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
