import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { APPLY_POLICY, LIMIT_KEYS, OverrideChanges } from '@/server/services/plans';
import { requestChangePlan } from '@/server/services/ves';
import { AppError } from '@/server/errors';
import { auditVe, billingActor, VeIdInput } from './schemas';

const LimitKey = z.enum(LIMIT_KEYS as [string, ...string[]]);

/**
 * POST /api/v1/ves/{id}/plan (scope ves:write): move to another plan. Existing overrides are kept
 * unless named in `overrides` (number = new value, null = back to the plan). A disk shrink while the
 * VE runs is refused (422). The answer lists every changed field and whether it applies live.
 */
export const changePlan = apiKeyProcedure('ves:write')
  .meta({ openapi: { method: 'POST', path: '/ves/{id}/plan', tags: ['ves'], protect: true, errorResponses: { 409: 'The VE is busy (creating, destroying, migrating, reinstalling)', 422: 'A change the VE\'s state refuses (e.g. a disk shrink while it runs), or the VE is suspended' }, summary: 'Change plan (keeps paid overrides unless named)' } })
  .input(VeIdInput.extend({ plan: z.string().min(1).max(128).describe('Plan id or name'), overrides: OverrideChanges.optional() }))
  .output(z.object({
    taskId: z.string().nullable().describe('null when nothing changed on the node'),
    planId: z.string(),
    changes: z.array(z.object({ field: LimitKey, from: z.number().nullable(), to: z.number(), live: z.boolean().describe('false = applied at next restart') })),
    needsRestart: z.array(LimitKey).describe('Fields that take effect only after a restart; empty = all applied live'),
    limits: z.record(z.string(), z.number()),
    overrides: z.record(z.string(), z.number()),
  }))
  .mutation(async ({ ctx, input }) => {
    auditVe(ctx, input.id);
    const plan = (await ctx.prisma.plan.findUnique({ where: { id: input.plan }, select: { id: true } })) ?? (await ctx.prisma.plan.findUnique({ where: { name: input.plan }, select: { id: true } }));
    if (!plan) throw new AppError('BAD_INPUT', 'plan: unknown plan', { field: 'plan' });
    const r = await requestChangePlan(ctx.prisma, billingActor(ctx), input.id, { planId: plan.id, overrides: input.overrides as Record<string, number | null> | undefined });
    return {
      taskId: r.taskId, planId: r.planId, needsRestart: r.needsRestart,
      changes: r.changes.map((c) => ({ ...c, live: APPLY_POLICY[c.field] !== 'restart' && !r.needsRestart.includes(c.field) })),
      limits: r.limits as Record<string, number>, overrides: r.overrides as Record<string, number>,
    };
  });
