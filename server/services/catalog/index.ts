import type { PrismaClient } from '@/server/db/client';

/** What a billing system sells from: active plans, enabled templates, node groups. */
export async function getCatalog(prisma: PrismaClient) {
  const [plans, templates, nodeGroups] = await Promise.all([
    prisma.plan.findMany({
      where: { active: true },
      orderBy: { name: 'asc' },
      select: {
        id: true, name: true, description: true, ram: true, swap: true, diskspace: true, diskinodes: true, cpuunits: true,
        cpulimit: true, cpus: true, numproc: true, bandwidth: true, ipv4Count: true, ipv6Count: true,
        templates: { select: { name: true } },
      },
    }),
    prisma.template.findMany({
      where: { enabled: true },
      orderBy: { name: 'asc' },
      select: { id: true, name: true, os: true, version: true, arch: true, description: true },
    }),
    prisma.nodeGroup.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true, description: true } }),
  ]);
  return {
    plans: plans.map(({ templates: t, ...p }) => ({ ...p, templates: t.map((x) => x.name) })),
    templates,
    nodeGroups,
  };
}

/** Every VE with the ids a billing system maps it by (ctid, externalId). */
export async function listVesForBilling(prisma: PrismaClient, filter: { externalId?: string; take?: number; skip?: number } = {}) {
  const rows = await prisma.ve.findMany({
    where: filter.externalId ? { externalId: filter.externalId } : {},
    orderBy: { ctid: 'asc' },
    take: filter.take,
    skip: filter.skip,
    select: {
      id: true, ctid: true, hostname: true, state: true, externalId: true, createdAt: true,
      node: { select: { name: true } },
      plan: { select: { name: true } },
      template: { select: { name: true } },
      owner: { select: { externalId: true, email: true } },
      ipAddresses: { select: { address: true }, orderBy: { address: 'asc' } },
    },
  });
  return rows.map((v) => ({
    id: v.id,
    ctid: v.ctid,
    hostname: v.hostname,
    state: v.state,
    externalId: v.externalId,
    node: v.node.name,
    plan: v.plan?.name ?? null,
    template: v.template.name,
    ownerExternalId: v.owner?.externalId ?? null,
    ownerEmail: v.owner?.email ?? null,
    ipAddresses: v.ipAddresses.map((a) => a.address),
    createdAt: v.createdAt,
  }));
}

/** Nodes as a billing system sees them: name, group, state (no addresses or keys). */
export async function listNodesForBilling(prisma: PrismaClient) {
  const rows = await prisma.node.findMany({
    orderBy: { name: 'asc' },
    select: { id: true, name: true, state: true, maintenance: true, nodeGroup: { select: { name: true } } },
  });
  return rows.map((n) => ({ id: n.id, name: n.name, state: n.state, maintenance: n.maintenance, nodeGroup: n.nodeGroup?.name ?? null }));
}
