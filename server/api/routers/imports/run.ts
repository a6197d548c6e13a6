import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestImport } from '@/server/operations/imports';
import { PlanInput } from './schemas';

/** Imports one OpenVZ VE as a task (refused with the reasons while its dry run shows problems) (admin). */
export const run = adminProcedure
  .input(PlanInput.extend({ ownerId: z.string().max(64).nullish(), start: z.boolean().default(true) }))
  .output(z.object({ veId: z.string(), ctid: z.number(), taskId: z.string() }))
  .mutation(async ({ ctx, input }) => {
    const r = await requestImport(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input);
    if (ctx.audit) ctx.audit.details = { ctid: r.ctid, sourceId: input.sourceId, sourceCtid: input.sourceCtid, taskId: r.taskId };
    return r;
  });
