// Plans: named sets of limits, address counts and allowed templates (DESIGN.md §4).
import { z } from 'zod';
import { Prisma, type PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { checkLimitsConsistent, LimitFields, parseOrBadInput, planLimits } from './limits';

export * from './limits';
export * from './changePlan';

const Name = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N} ._+-]+$/u, 'letters, digits, space, . _ + - only');

const PlanFields = {
  name: Name,
  description: z.string().max(500).nullish(),
  ...LimitFields,
  ipv4Count: z.number().int().min(0).max(256),
  ipv6Count: z.number().int().min(0).max(256),
  /** Local snapshots and backups a VE on this plan may keep (0 = the customer cannot make them). */
  snapshotLimit: z.number().int().min(0).max(100),
  backupLimit: z.number().int().min(0).max(1000),
  /** Template ids a VE on this plan may use; empty = every enabled template. */
  templateIds: z.array(z.string().min(1).max(64)).max(500),
  active: z.boolean(),
  /** VEs of this plan are placed only on this node group's nodes; null = any node. */
  nodeGroupId: z.string().min(1).max(64).nullable(),
};

export const PlanInput = z.object({
  ...PlanFields,
  swap: PlanFields.swap.default(0),
  diskinodes: PlanFields.diskinodes.default(200_000),
  cpuunits: PlanFields.cpuunits.default(1000),
  cpulimit: PlanFields.cpulimit.default(0),
  cpus: PlanFields.cpus.default(1),
  numproc: PlanFields.numproc.default(1024),
  ioprio: PlanFields.ioprio.default(4),
  iolimit: PlanFields.iolimit.default(0),
  iopslimit: PlanFields.iopslimit.default(0),
  bandwidth: PlanFields.bandwidth.default(0),
  ipv4Count: PlanFields.ipv4Count.default(1),
  ipv6Count: PlanFields.ipv6Count.default(0),
  snapshotLimit: PlanFields.snapshotLimit.default(0),
  backupLimit: PlanFields.backupLimit.default(0),
  templateIds: PlanFields.templateIds.default([]),
  active: PlanFields.active.default(true),
  nodeGroupId: PlanFields.nodeGroupId.default(null),
});
export type PlanInput = z.input<typeof PlanInput>;
// Built from the fields without defaults: a patch must never reset a field it does not name.
export const PlanPatch = z.object(PlanFields).partial().strict();
export type PlanPatch = z.input<typeof PlanPatch>;

const planInclude = {
  templates: { select: { id: true, name: true }, orderBy: { name: 'asc' } }, _count: { select: { ves: true } }, nodeGroup: { select: { id: true, name: true } },
} as const;
export type PlanView = Prisma.PlanGetPayload<{ include: typeof planInclude }>;

async function checkTemplates(prisma: PrismaClient, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const found = await prisma.template.findMany({ where: { id: { in: ids } }, select: { id: true } });
  const missing = ids.filter((id) => !found.some((t) => t.id === id));
  if (missing.length) throw new AppError('BAD_INPUT', `templateIds: unknown template ${missing[0]}`, { field: 'templateIds' });
}

async function checkNodeGroup(prisma: PrismaClient, id: string | null | undefined): Promise<void> {
  if (id && !(await prisma.nodeGroup.findUnique({ where: { id }, select: { id: true } }))) throw new AppError('BAD_INPUT', 'nodeGroupId: unknown node group', { field: 'nodeGroupId' });
}

function uniqueName<T>(name: string | undefined, p: Promise<T>): Promise<T> {
  return p.catch((e) => {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') throw new AppError('CONFLICT', `A plan named ${name} already exists`, { field: 'name' });
    throw e;
  });
}

export function listPlans(prisma: PrismaClient, opts: { activeOnly?: boolean } = {}): Promise<PlanView[]> {
  return prisma.plan.findMany({ where: opts.activeOnly ? { active: true } : {}, include: planInclude, orderBy: { name: 'asc' } });
}

export async function getPlan(prisma: PrismaClient, id: string): Promise<PlanView> {
  const plan = await prisma.plan.findUnique({ where: { id }, include: planInclude });
  if (!plan) throw new AppError('NOT_FOUND', 'Plan not found');
  return plan;
}

export async function createPlan(prisma: PrismaClient, input: PlanInput): Promise<PlanView> {
  const { templateIds, ...data } = parseOrBadInput(PlanInput, input);
  checkLimitsConsistent(planLimits(data));
  await checkTemplates(prisma, templateIds);
  await checkNodeGroup(prisma, data.nodeGroupId);
  return uniqueName(
    data.name,
    prisma.plan.create({ data: { ...data, templates: { connect: templateIds.map((id) => ({ id })) } }, include: planInclude }),
  );
}

/** Changes the plan itself; VEs already on it keep their limits until their plan is (re)applied. */
export async function updatePlan(prisma: PrismaClient, id: string, patch: PlanPatch): Promise<PlanView> {
  const current = await getPlan(prisma, id);
  const { templateIds, ...data } = parseOrBadInput(PlanPatch, patch);
  checkLimitsConsistent(planLimits({ ...current, ...data }));
  if (templateIds) await checkTemplates(prisma, templateIds);
  await checkNodeGroup(prisma, data.nodeGroupId);
  return uniqueName(
    data.name,
    prisma.plan.update({
      where: { id },
      data: { ...data, ...(templateIds ? { templates: { set: templateIds.map((t) => ({ id: t })) } } : {}) },
      include: planInclude,
    }),
  );
}

/** Deletes an unused plan; a plan with VEs is refused (deactivate it instead). */
export async function deletePlan(prisma: PrismaClient, id: string): Promise<void> {
  const plan = await getPlan(prisma, id);
  if (plan._count.ves > 0) throw new AppError('CONFLICT', `Plan ${plan.name} is used by ${plan._count.ves} VE(s); deactivate it instead`);
  await prisma.plan.delete({ where: { id } });
}

/** Whether `plan` allows `templateId` (an empty list allows every template). */
export function planAllowsTemplate(plan: { templates: Array<{ id: string }> }, templateId: string): boolean {
  return plan.templates.length === 0 || plan.templates.some((t) => t.id === templateId);
}
