// Create request: validate, place, take a CTID and addresses, write the Ve row and its ve.create task, all at once.
import { Prisma, type PrismaClient } from '@/server/db/client';
import { AppError, isAppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';
import { allocateAddresses, type AllocatedAddress } from '@/server/services/ippools/allocate';
import { chooseNode } from '@/server/services/placement';
import { effectiveLimits, parseOrBadInput, type Limits } from '@/server/services/plans';
import { sha512Crypt } from './crypt';
import { allocateCtid } from './ctid';
import type { Actor } from './scope';
import { CreateVeInput } from './validate';
import { recordCreateSshKeys } from './sshKeys';

/** What the `ve.create` task handler receives in Task.params. */
export interface VeCreateParams {
  ctid: number;
  hostname: string;
  template: string;
  limits: Limits;
  addresses: Array<{ address: string; family: 4 | 6; prefix: number; gateway: string | null }>;
  nameservers: string[];
  /** "$6$…" crypt hash for the VE's /etc/shadow; the clear password is never stored. */
  rootPasswordHash: string | null;
  sshKeys: string[];
}

export interface CreateVeResult {
  ve: { id: string; ctid: number; hostname: string; state: string; nodeId: string; nodeName: string };
  taskId: string;
  addresses: AllocatedAddress[];
}

/** Extra steps inside the create transaction (billing idempotency keys: claim first, store the answer last). */
export interface CreateVeHooks {
  begin?(tx: Prisma.TransactionClient): Promise<void>;
  end?(tx: Prisma.TransactionClient, result: CreateVeResult): Promise<void>;
}

// Long enough for 50 creates queued on the CTID counter lock; the work inside takes milliseconds.
const TX = { maxWait: 30_000, timeout: 30_000 };

interface TemplateRef { id: string; name: string; enabled: boolean; allowed: boolean; versionNumber: number | null; cacheName: string | null }

/**
 * The template by id or name with its newest version, and whether the plan allows it (a plan
 * without templates allows all): one statement where Prisma took three (template, version, and
 * the plan's template list).
 */
async function templateRef(prisma: PrismaClient, planId: string, by: { id: string } | { name: string }): Promise<TemplateRef | undefined> {
  const where = 'id' in by ? Prisma.sql`t.id = ${by.id}` : Prisma.sql`t.name = ${by.name}`;
  const [t] = await prisma.$queryRaw<TemplateRef[]>`
    SELECT t.id, t.name, t.enabled, v.number AS "versionNumber", v."cacheName",
      (NOT EXISTS (SELECT 1 FROM "_PlanToTemplate" x WHERE x."A" = ${planId})
        OR EXISTS (SELECT 1 FROM "_PlanToTemplate" x WHERE x."A" = ${planId} AND x."B" = t.id)) AS allowed
    FROM "Template" t
    LEFT JOIN LATERAL (SELECT number, "cacheName" FROM "TemplateVersion" WHERE "templateId" = t.id ORDER BY number DESC LIMIT 1) v ON true
    WHERE ${where}
    LIMIT 1`;
  return t;
}

async function loadRefs(prisma: PrismaClient, input: ReturnType<typeof CreateVeInput.parse>) {
  const plan = await prisma.plan.findUnique({ where: { id: input.planId } });
  if (!plan) throw new AppError('BAD_INPUT', 'planId: unknown plan', { field: 'planId' });
  if (!plan.active) throw new AppError('UNPROCESSABLE', `Plan ${plan.name} is not offered any more`, { field: 'planId' });
  const template = await templateRef(prisma, plan.id, input.templateId ? { id: input.templateId } : { name: input.template! });
  const tField = input.templateId ? 'templateId' : 'template';
  if (!template) throw new AppError('BAD_INPUT', `${tField}: unknown template`, { field: tField });
  if (!template.enabled) throw new AppError('UNPROCESSABLE', `Template ${template.name} is disabled`, { field: tField });
  if (!template.allowed) throw new AppError('UNPROCESSABLE', `Plan ${plan.name} does not allow template ${template.name}`, { field: tField });
  if (input.ownerId && !(await prisma.user.findUnique({ where: { id: input.ownerId }, select: { id: true } }))) {
    throw new AppError('BAD_INPUT', 'ownerId: unknown user', { field: 'ownerId' });
  }
  // An unknown nodeId is found by placement, which reads the node anyway (one statement less per create).
  return { plan, template };
}

/**
 * Requests a new VE (admins and billing keys; customers are refused). In ONE transaction it
 * takes the CTID, chooses the node (given, or by placement), claims the addresses, writes the Ve
 * row (state creating) and enqueues the `ve.create` task; any failure (e.g. CAPACITY when the
 * pool is empty) rolls all of it back, leaving no Ve row, no task and no address taken.
 */
export async function requestCreateVe(prisma: PrismaClient, actor: Actor, raw: CreateVeInput, hooks: CreateVeHooks = {}): Promise<CreateVeResult> {
  if (actor.role === 'customer') throw new AppError('FORBIDDEN', 'Customers cannot create VEs');
  const input = parseOrBadInput(CreateVeInput, raw);
  const { plan, template } = await loadRefs(prisma, input);
  const limits = effectiveLimits(plan, input.overrides);
  const ipv4 = input.ipv4Count ?? plan.ipv4Count;
  const ipv6 = input.ipv6Count ?? plan.ipv6Count;
  const rootPasswordHash = input.password ? sha512Crypt(input.password) : null;
  try {
    return await prisma.$transaction(async (tx) => {
      await hooks.begin?.(tx);
      const ctid = await allocateCtid(tx, input.ctid);
      const placed = await chooseNode(tx, {
        nodeIds: input.nodeId ? [input.nodeId] : undefined,
        // An explicit node wins; otherwise the request's group, else the plan's group.
        nodeGroupId: input.nodeId ? undefined : input.nodeGroupId ?? plan.nodeGroupId,
        ram: limits.ram,
        diskspace: limits.diskspace,
        ipv4,
        ipv6,
        templateId: template.id,
      }).catch((e: unknown) => {
        // Placement finds no node at all only when the one named does not exist: nothing was written (rollback).
        if (input.nodeId && isAppError(e) && e.code === 'CAPACITY' && !(e.data?.skipped as unknown[] | undefined)?.length) {
          throw new AppError('BAD_INPUT', 'nodeId: unknown node', { field: 'nodeId' });
        }
        throw e;
      });
      const ve = await tx.ve.create({
        data: {
          ctid,
          hostname: input.hostname,
          nodeId: placed.node.id,
          planId: plan.id,
          templateId: template.id,
          templateVersion: template.versionNumber,
          ownerId: input.ownerId ?? null,
          state: 'creating',
          limits,
          overrides: input.overrides,
          externalId: input.externalId ?? null,
        },
      });
      const addresses = [
        ...(await allocateAddresses(tx, { nodeId: placed.node.id, count: ipv4, family: 4, veId: ve.id })),
        ...(await allocateAddresses(tx, { nodeId: placed.node.id, count: ipv6, family: 6, veId: ve.id })),
      ];
      const params: VeCreateParams = {
        ctid,
        hostname: ve.hostname,
        template: template.cacheName ?? template.name,
        limits,
        addresses: addresses.map((a) => ({ address: a.address, family: a.family, prefix: a.prefix, gateway: a.gateway })),
        nameservers: [...new Set(addresses.flatMap((a) => a.nameservers))],
        rootPasswordHash,
        sshKeys: input.sshKeys,
      };
      await recordCreateSshKeys(tx, ve.id, input.sshKeys);
      const task = await enqueueTaskTx(tx, {
        type: 've.create',
        params,
        veId: ve.id,
        ctid,
        nodeId: placed.node.id,
        userId: actor.userId ?? null,
        apiKeyId: actor.apiKeyId ?? null,
      });
      const result: CreateVeResult = {
        ve: { id: ve.id, ctid, hostname: ve.hostname, state: ve.state, nodeId: placed.node.id, nodeName: placed.node.name },
        taskId: task.id,
        addresses,
      };
      await hooks.end?.(tx, result);
      return result;
    }, TX);
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
      const target = String(e.meta?.target ?? e.message);
      if (target.includes('externalId')) throw new AppError('CONFLICT', `A VE with external id ${input.externalId} already exists`, { field: 'externalId' });
      if (target.includes('veid')) throw new AppError('CONFLICT', `CTID ${input.ctid ?? ''} is already in use`.trim(), { field: 'ctid' });
    }
    throw e;
  }
}
