import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { resetQuota as reset } from '@/server/services/usage/quota-reset';

/**
 * An admin's reset of a VE's quota ladder: a throttle and a quota network cut lift now (a task on the
 * node), and the period's traffic so far no longer counts. A billing suspension is left alone.
 */
export const resetQuota = adminProcedure
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(z.object({ taskId: z.string().nullable().describe('the node work lifting it; null when nothing was in force'), lifted: z.object({ throttle: z.boolean(), network: z.boolean() }) }))
  .mutation(async ({ ctx, input }) => {
    if (ctx.audit) ctx.audit.target = { type: 've', id: input.id };
    const r = await reset(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id);
    return { taskId: r.taskId, lifted: { throttle: !!r.lifted?.throttle, network: !!r.lifted?.network } };
  });
