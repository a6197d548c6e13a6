import { z } from 'zod';
import { VE_STATES, type VeListRow } from '@/server/services/ves';

const Ref = z.object({ id: z.string(), name: z.string() });

export const VeRowOutput = z.object({
  id: z.string(),
  ctid: z.number().int(),
  hostname: z.string(),
  state: z.enum(VE_STATES),
  externalId: z.string().nullable(),
  node: Ref,
  plan: Ref.nullable(),
  template: Ref,
  owner: z.object({ id: z.string(), email: z.string(), name: z.string() }).nullable(),
  ipAddresses: z.array(z.string()),
  limits: z.record(z.string(), z.number()).describe('Effective limits (plan + overrides)'),
  suspendedAt: z.string().nullable(),
  createdAt: z.string(),
});

// Stored JSON is the service's own output; non-numbers would be a bug, so they are dropped, not shown.
export const numbers = (json: unknown): Record<string, number> =>
  Object.fromEntries(Object.entries((json ?? {}) as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'));

export function toVeRow(v: Omit<VeListRow, 'ipAddresses'> & { ipAddresses: string[] }): z.infer<typeof VeRowOutput> {
  return {
    id: v.id, ctid: v.ctid, hostname: v.hostname, state: v.state, externalId: v.externalId, node: v.node, plan: v.plan, template: v.template,
    owner: v.owner, ipAddresses: v.ipAddresses, limits: numbers(v.limits), suspendedAt: v.suspendedAt?.toISOString() ?? null, createdAt: v.createdAt.toISOString(),
  };
}
