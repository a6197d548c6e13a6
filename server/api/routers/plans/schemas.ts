import { z } from 'zod';
import { LimitFields, type PlanView } from '@/server/services/plans';

export const PlanIdInput = z.object({ id: z.string().min(1).max(64) });

export const PlanOutput = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  ...LimitFields,
  ipv4Count: z.number().int(),
  ipv6Count: z.number().int(),
  snapshotLimit: z.number().int().describe('Local snapshots a VE may keep (0 = none for customers)'),
  backupLimit: z.number().int().describe('Backups a VE may keep, scheduled ones included (0 = no customer backups)'),
  templates: z.array(z.object({ id: z.string(), name: z.string() })).describe('Allowed templates; empty = all enabled'),
  active: z.boolean(),
  veCount: z.number().int().describe('VEs on this plan'),
  nodeGroup: z.object({ id: z.string(), name: z.string() }).nullable().describe('VEs of this plan are placed only in this node group'),
  createdAt: z.string(),
});

export function toPlanOutput(p: PlanView): z.infer<typeof PlanOutput> {
  const { _count, createdAt, updatedAt: _u, nodeGroupId: _g, ...rest } = p;
  return { ...rest, veCount: _count.ves, createdAt: createdAt.toISOString() };
}
