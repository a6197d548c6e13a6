import { adminProcedure } from '@/server/api/trpc';
import { OverrideChanges } from '@/server/services/plans';
import { requestSetLimits } from '@/server/services/ves';
import { LimitsChangeOutput, VeIdInput } from './actionSchemas';

/**
 * Changes a VE's limits live (admin): each named field becomes a per-VE override (null = back to
 * the plan value); other overrides are kept. Says which fields need a restart; refuses a disk shrink while running.
 */
export const setLimits = adminProcedure
  .input(VeIdInput.extend({ overrides: OverrideChanges }))
  .output(LimitsChangeOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await requestSetLimits(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.overrides);
    return { taskId: r.taskId, changes: r.changes, needsRestart: r.needsRestart, limits: { ...r.limits }, overrides: { ...r.overrides } as Record<string, number> };
  });
