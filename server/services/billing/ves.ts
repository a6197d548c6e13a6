// What a billing system reads about VEs: one VE in full, the state of many at once.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { readOverrides } from '@/server/services/plans/limits';
import { requestReinstall } from '@/server/services/ves/requests';
import { VE_NOT_FOUND, type Actor } from '@/server/services/ves/scope';

const select = {
  id: true, ctid: true, hostname: true, state: true, externalId: true, createdAt: true, updatedAt: true, lastError: true,
  suspendedAt: true, suspendReason: true, suspendMode: true, prevPowerState: true, limits: true, overrides: true,
  node: { select: { name: true } },
  plan: { select: { id: true, name: true } },
  template: { select: { name: true } },
  owner: { select: { externalId: true } },
  ipAddresses: { select: { address: true }, orderBy: { address: 'asc' as const } },
} as const;

type Row = NonNullable<Awaited<ReturnType<typeof find>>>;
const find = (prisma: PrismaClient, id: string) => prisma.ve.findUnique({ where: { id }, select });

// "suspended" hides whether the VE runs: network mode keeps its power state, stop mode stops it.
function suspension(v: Pick<Row, 'suspendedAt' | 'suspendReason' | 'suspendMode' | 'prevPowerState'>) {
  if (!v.suspendedAt) return null;
  const mode = v.suspendMode === 'network' ? ('network' as const) : ('stop' as const);
  const vePowerState = mode === 'network' && v.prevPowerState !== 'stopped' ? ('running' as const) : ('stopped' as const);
  return { at: v.suspendedAt.toISOString(), reason: v.suspendReason, mode, vePowerState };
}

/** One VE as the billing API shows it. */
export async function getBillingVe(prisma: PrismaClient, id: string) {
  const v = await find(prisma, id);
  if (!v) throw new AppError('NOT_FOUND', VE_NOT_FOUND);
  const numbers = (j: unknown) => Object.fromEntries(Object.entries((j ?? {}) as Record<string, unknown>).filter(([, x]) => typeof x === 'number')) as Record<string, number>;
  return {
    id: v.id, ctid: v.ctid, hostname: v.hostname, state: v.state, externalId: v.externalId, node: v.node.name,
    plan: v.plan ? { id: v.plan.id, name: v.plan.name } : null, template: v.template.name, customerExternalId: v.owner?.externalId ?? null,
    ipAddresses: v.ipAddresses.map((a) => a.address), limits: numbers(v.limits), overrides: readOverrides(v.overrides) as Record<string, number>,
    suspension: suspension(v), lastError: v.lastError, createdAt: v.createdAt.toISOString(), updatedAt: v.updatedAt.toISOString(),
  };
}

/** State of many VEs in one call, by id and/or external id; ids that match nothing are listed in notFound. */
export async function billingStatusMany(prisma: PrismaClient, q: { ids: string[]; externalIds: string[] }) {
  const busyOf = (veIds: string[]) => veIds.length
    ? prisma.task.groupBy({ by: ['veId'], where: { veId: { in: veIds }, status: { in: ['queued', 'running'] } }, _count: { _all: true } })
    : Promise.resolve([]);
  // One round trip when asked by id: the pending-task counts go out with the VE read (a relation
  // filter instead of the ids planned far worse). VEs found only by external id are counted after.
  const [rows, busyById] = await Promise.all([
    prisma.ve.findMany({
      where: { OR: [{ id: { in: q.ids } }, { externalId: { in: q.externalIds } }] },
      select: { id: true, ctid: true, externalId: true, state: true, hostname: true, suspendedAt: true, suspendReason: true, suspendMode: true, prevPowerState: true, lastError: true, updatedAt: true },
      orderBy: { ctid: 'asc' },
    }),
    busyOf(q.ids),
  ]);
  const asked = new Set(q.ids);
  const busy = [...busyById, ...(await busyOf(rows.map((r) => r.id).filter((id) => !asked.has(id))))];
  const foundIds = new Set(rows.map((r) => r.id));
  const foundExt = new Set(rows.map((r) => r.externalId));
  const pending = new Map(busy.map((b) => [b.veId, b._count._all]));
  return {
    ves: rows.map((r) => ({
      id: r.id, ctid: r.ctid, externalId: r.externalId, hostname: r.hostname, state: r.state, suspension: suspension(r),
      pendingTasks: pending.get(r.id) ?? 0, lastError: r.lastError, updatedAt: r.updatedAt.toISOString(),
    })),
    notFound: [...q.ids.filter((i) => !foundIds.has(i)), ...q.externalIds.filter((e) => !foundExt.has(e))],
  };
}

/** Reinstall by template name (keeps id, CTID, addresses and limits; new root password if given). */
export async function billingReinstall(prisma: PrismaClient, actor: Actor, veId: string, input: { template: string; password?: string }) {
  const t = await prisma.template.findUnique({ where: { name: input.template }, select: { id: true } });
  if (!t) throw new AppError('BAD_INPUT', 'template: unknown template', { field: 'template' });
  return requestReinstall(prisma, actor, veId, { templateId: t.id, password: input.password });
}
