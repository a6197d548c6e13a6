// Billing create: names (plan, template, node, group, customer) -> ids, optional explicit addresses,
// Idempotency-Key, then the one create service every VE goes through.
import { z } from 'zod';
import type { Prisma, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { addressesOfVe } from '@/server/services/ippools/allocate';
import { canonicalIp } from '@/server/services/ippools/ip';
import { OverrideChanges, parseOrBadInput, type LimitOverrides } from '@/server/services/plans/limits';
import { requestCreateVe, type CreateVeResult } from '@/server/services/ves/create';
import { parseTaskParams } from '@/server/services/tasks/definitions';
import { Hostname, RootPassword } from '@/server/services/ves/validate';
import { ExternalId } from './customers';
import { withIdempotency } from './idempotency';
import { BillingSshKey, TemplateName } from './validate';

const Ref = z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'an id or a name (letters, digits, . _ : -)');
const Address = z.string().max(64).refine((s) => canonicalIp(s) === s, 'an IP address in canonical form (e.g. 10.0.0.5, 2001:db8::5)');

const AddressCount = z.number().int().min(0).max(64).nullish().transform((n) => n ?? undefined);

function withoutNulls(o: Record<string, number | null | undefined>): LimitOverrides {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number')) as LimitOverrides;
}

export const BillingCreateInput = z
  .object({
    customerExternalId: ExternalId.optional().describe('Owner: the customer upserted with this client id'),
    externalId: ExternalId.optional().describe('Service id in the billing system (unique)'),
    plan: Ref.describe('Plan id or name'),
    template: TemplateName.describe('Template name'),
    hostname: Hostname,
    password: RootPassword.optional().describe('Root password; hashed (SHA-512 crypt) before it leaves the panel'),
    sshKeys: z.array(BillingSshKey).max(20).default([]),
    node: Ref.optional().describe('Node id or name; otherwise placement chooses'),
    nodeGroup: Ref.optional().describe('Node group id or name to place in'),
    // null = "the plan's value", as in changePlan; a number must be a JSON number (no "1", true or [1]).
    overrides: OverrideChanges.default({}).transform(withoutNulls).describe('Per-VE values replacing the plan\'s (paid extras); null = the plan\'s value'),
    ipAddresses: z.array(Address).max(16).optional().describe('Exact addresses to assign (free, in a pool serving the node); otherwise the plan\'s counts'),
    ipv4Count: AddressCount.describe('IPv4 addresses to allocate; absent or null = the plan\'s count'),
    ipv6Count: AddressCount.describe('IPv6 addresses to allocate; absent or null = the plan\'s count'),
  })
  .strict()
  .refine((v) => v.password || v.sshKeys.length, { message: 'give a root password or at least one SSH key', path: ['password'] });
export type BillingCreateInput = z.input<typeof BillingCreateInput>;

export interface BillingCreateOutput {
  taskId: string;
  ve: { id: string; ctid: number; hostname: string; state: string; node: string; externalId: string | null };
  ipAddresses: string[];
}

async function byIdOrName<T>(find: (where: { id: string } | { name: string }) => Promise<T | null>, ref: string, field: string, what: string): Promise<T> {
  const row = (await find({ id: ref })) ?? (await find({ name: ref }));
  if (!row) throw new AppError('BAD_INPUT', `${field}: unknown ${what}`, { field });
  return row;
}

// Binds the requested addresses to the new VE (they must be free, unreserved and served to its node)
// and rewrites the queued task's address list, inside the create transaction.
async function claimExactAddresses(tx: Prisma.TransactionClient, r: CreateVeResult, wanted: string[]) {
  const ids = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT a.id FROM "IpAddress" a JOIN "IpPool" p ON p.id = a."poolId"
     WHERE a.address = ANY(${wanted}::text[]) AND a."veId" IS NULL AND NOT a.reserved
       AND (p."nodeGroupId" = (SELECT n."nodeGroupId" FROM "Node" n WHERE n.id = ${r.ve.nodeId})
            OR EXISTS (SELECT 1 FROM "_IpPoolToNode" x WHERE x."A" = p.id AND x."B" = ${r.ve.nodeId}))
     FOR UPDATE OF a`;
  if (ids.length !== wanted.length) throw new AppError('CONFLICT', `ipAddresses: not all of ${wanted.join(', ')} are free in a pool serving node ${r.ve.nodeName}`, { field: 'ipAddresses' });
  await tx.ipAddress.updateMany({ where: { id: { in: ids.map((x) => x.id) } }, data: { veId: r.ve.id, assignedAt: new Date() } });
  const all = await addressesOfVe(tx, r.ve.id);
  const task = await tx.task.findUniqueOrThrow({ where: { id: r.taskId } });
  const params = parseTaskParams('ve.create', task.params, `task ${task.id}`);
  params.addresses = all.map((a) => ({ address: a.address, family: a.family, prefix: a.prefix, gateway: a.gateway }));
  params.nameservers = [...new Set(all.flatMap((a) => a.nameservers))];
  await tx.task.update({ where: { id: r.taskId }, data: { params } });
  r.addresses = all;
}

/**
 * Creates a VE for a billing system. With an Idempotency-Key a retry returns the first answer and
 * never makes a second VE; the same key with other parameters is UNPROCESSABLE.
 */
export async function billingCreateVe(prisma: PrismaClient, apiKeyId: string, raw: BillingCreateInput, idempotency: { key?: string; fingerprint: string }): Promise<BillingCreateOutput> {
  const i = parseOrBadInput(BillingCreateInput, raw);
  return withIdempotency<BillingCreateOutput>(prisma, { key: idempotency.key, apiKeyId, fingerprint: idempotency.fingerprint }, async (idem) => {
    const plan = await byIdOrName((w) => prisma.plan.findFirst({ where: w, select: { id: true } }), i.plan, 'plan', 'plan');
    const template = await prisma.template.findUnique({ where: { name: i.template }, select: { id: true } });
    if (!template) throw new AppError('BAD_INPUT', 'template: unknown template', { field: 'template' });
    const node = i.node ? await byIdOrName((w) => prisma.node.findFirst({ where: w, select: { id: true } }), i.node, 'node', 'node') : undefined;
    const group = i.nodeGroup ? await byIdOrName((w) => prisma.nodeGroup.findFirst({ where: w, select: { id: true } }), i.nodeGroup, 'nodeGroup', 'node group') : undefined;
    const owner = i.customerExternalId ? await prisma.user.findUnique({ where: { externalId: i.customerExternalId }, select: { id: true, role: true } }) : undefined;
    if (i.customerExternalId && (!owner || owner.role !== 'customer')) throw new AppError('BAD_INPUT', 'customerExternalId: unknown customer (upsert it first)', { field: 'customerExternalId' });
    const exact = i.ipAddresses;
    const r = await requestCreateVe(
      prisma,
      { role: 'apiKey', apiKeyId },
      {
        hostname: i.hostname, planId: plan.id, templateId: template.id, ownerId: owner?.id ?? null, nodeId: node?.id, nodeGroupId: group?.id,
        password: i.password, sshKeys: i.sshKeys, overrides: i.overrides, externalId: i.externalId,
        ...(exact ? { ipv4Count: 0, ipv6Count: 0 } : { ipv4Count: i.ipv4Count, ipv6Count: i.ipv6Count }),
      },
      {
        begin: idem?.begin,
        async end(tx, res) {
          if (exact?.length) await claimExactAddresses(tx, res, exact);
          await idem?.end(tx, toOutput(res, i.externalId ?? null));
        },
      },
    );
    return toOutput(r, i.externalId ?? null);
  });
}

const toOutput = (r: CreateVeResult, externalId: string | null): BillingCreateOutput => ({
  taskId: r.taskId,
  ve: { id: r.ve.id, ctid: r.ve.ctid, hostname: r.ve.hostname, state: r.ve.state, node: r.ve.nodeName, externalId },
  ipAddresses: r.addresses.map((a) => a.address),
});
