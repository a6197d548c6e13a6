import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { quotaStateOf } from '@/server/services/usage/quota-state';
import { QuotaState } from '@/server/services/usage/quota-view';

export const QuotaOutput = z.object({ period: z.object({ start: z.string(), end: z.string() }), quota: QuotaState.nullable() });

/** A VE's traffic quota ladder in its current period: used, rungs taken, throttle and network cut in force (admin). */
export const quota = adminProcedure
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(QuotaOutput)
  .query(async ({ ctx, input }) => quotaAnswer(await quotaStateOf(ctx.prisma, input.id)));

export const quotaAnswer = (r: Awaited<ReturnType<typeof quotaStateOf>>): z.infer<typeof QuotaOutput> =>
  ({ period: { start: r.period.start.toISOString(), end: r.period.end.toISOString() }, quota: r.quota });
