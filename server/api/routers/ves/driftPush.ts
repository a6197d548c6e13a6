import { adminProcedure } from '@/server/api/trpc';
import { DriftFieldSchema, DriftValue } from '@/server/services/ves/drift';
import { pushPanelValue } from '@/server/services/ves/drift-repair';
import { TaskRefOutput, VeIdInput } from './actionSchemas';

/** "Push the panel's value": queues a ve.set that puts the panel's value of one drifted field back on the node. */
export const driftPush = adminProcedure
  .input(VeIdInput.extend({ field: DriftFieldSchema }))
  .output(TaskRefOutput.extend({ field: DriftFieldSchema, from: DriftValue, to: DriftValue }))
  .mutation(async ({ ctx, input }) => {
    const r = await pushPanelValue(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.field);
    if (ctx.audit) ctx.audit.details = { field: r.field, from: r.from, to: r.to, taskId: r.taskId };
    return r;
  });
