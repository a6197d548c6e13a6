import { z } from 'zod';
import { VE_STATES, type VeListRow } from '@/server/services/ves';

export const VeIdInput = z.object({ id: z.string().min(1).max(64) });
export const TaskRefOutput = z.object({ taskId: z.string().describe('The queued task; follow it with tasks.get / tasks.watch') });

/** A VE as its owner sees it: no other customer's data, no node internals. */
export const PortalVeOutput = z.object({
  id: z.string(),
  ctid: z.number().int(),
  hostname: z.string(),
  state: z.enum(VE_STATES),
  plan: z.string().nullable(),
  template: z.string(),
  ipAddresses: z.array(z.string()),
  limits: z.record(z.string(), z.number()),
  suspendedAt: z.string().nullable(),
  createdAt: z.string(),
});

const numbers = (json: unknown): Record<string, number> =>
  Object.fromEntries(Object.entries((json ?? {}) as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'));

export function toPortalVe(v: Omit<VeListRow, 'ipAddresses'> & { ipAddresses: string[] }): z.infer<typeof PortalVeOutput> {
  return {
    id: v.id, ctid: v.ctid, hostname: v.hostname, state: v.state, plan: v.plan?.name ?? null, template: v.template.name, ipAddresses: v.ipAddresses,
    limits: numbers(v.limits), suspendedAt: v.suspendedAt?.toISOString() ?? null, createdAt: v.createdAt.toISOString(),
  };
}
