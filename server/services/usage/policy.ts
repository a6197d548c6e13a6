// A plan's quota ladder (UsagePolicy): read with its defaults, and set with its rules checked.
import { z } from 'zod';
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { parseOrBadInput } from '@/server/services/plans/limits';

/** 64 kbit/s, the lowest rate the node's tc shaping takes (agents/protocol NetRate). */
export const MIN_THROTTLE_BYTES = 8_000;

export const UsagePolicyInput = z.object({
  anchorDay: z.number().int().min(1).max(28).nullable().describe('Day of the month a billing period starts (1-28); null = the day each VE was created'),
  trafficQuota: z.number().int().min(0).max(1e15).describe('Traffic (in + out) per period in bytes; 0 = no quota'),
  warnPct: z.number().int().min(1).max(100).describe('Warn (webhook usage.traffic.warn) at this share of the quota, 1-100'),
  throttleRate: z.number().int().min(0).max(12_500_000_000)
    .refine((v) => v === 0 || v >= MIN_THROTTLE_BYTES, `0 (no throttle) or at least ${MIN_THROTTLE_BYTES} bytes/s (64 kbit/s)`)
    .describe('At 100 %: cap the VE at this many bytes/s each way; 0 = do not throttle'),
  suspendPct: z.number().int().min(1).max(1000).nullable().describe('Cut the VE\'s network at this share of the quota (a hard limit may lie above 100 %); null = never'),
}).superRefine((p, ctx) => {
  if (p.suspendPct != null && p.suspendPct <= p.warnPct) ctx.addIssue({ code: 'custom', path: ['suspendPct'], message: 'must be above the warning share' });
  if (p.suspendPct != null && p.throttleRate > 0 && p.suspendPct < 100) ctx.addIssue({ code: 'custom', path: ['suspendPct'], message: 'with a throttle at 100 %, suspend at 100 % or above' });
});

export type UsagePolicyView = z.infer<typeof UsagePolicyInput>;

const DEFAULTS: UsagePolicyView = { anchorDay: null, trafficQuota: 0, warnPct: 80, throttleRate: 0, suspendPct: null };

const view = (p: { anchorDay: number | null; trafficQuota: bigint; warnPct: number; throttleRate: number; suspendPct: number | null }): UsagePolicyView =>
  ({ anchorDay: p.anchorDay, trafficQuota: Number(p.trafficQuota), warnPct: p.warnPct, throttleRate: p.throttleRate, suspendPct: p.suspendPct });

async function planOrThrow(prisma: PrismaClient, planId: string) {
  const plan = await prisma.plan.findUnique({ where: { id: planId }, select: { id: true, usagePolicy: true } });
  if (!plan) throw new AppError('NOT_FOUND', 'Plan not found');
  return plan;
}

/** The plan's ladder; a plan that never had one shows the defaults (no quota). */
export async function getUsagePolicy(prisma: PrismaClient, planId: string): Promise<UsagePolicyView> {
  const plan = await planOrThrow(prisma, planId);
  return plan.usagePolicy ? view(plan.usagePolicy) : DEFAULTS;
}

/** Replaces the plan's ladder; VEs on the plan follow it from the next usage pull. */
export async function setUsagePolicy(prisma: PrismaClient, planId: string, raw: unknown): Promise<UsagePolicyView> {
  const p = parseOrBadInput(UsagePolicyInput, raw);
  await planOrThrow(prisma, planId);
  const data = { ...p, trafficQuota: BigInt(p.trafficQuota) };
  return view(await prisma.usagePolicy.upsert({ where: { planId }, create: { planId, ...data }, update: data }));
}
