import { z } from 'zod';
import { authedProcedure } from '@/server/api/trpc';
import { logsForViewer } from '@/server/services/tasks/customerView';
import { getTaskRow, taskLogs, taskScope } from '@/server/services/tasks';
import { TaskLogOutput, TaskOutput, toLogOutput, toTaskOutput } from './schemas';

/** One task with its (redacted) params, result and log lines; NOT_FOUND when missing or not the viewer's. */
export const get = authedProcedure
  .input(z.object({ id: z.string().min(1).max(64), afterLogId: z.number().int().min(0).default(0) }))
  .output(TaskOutput.extend({ params: z.unknown(), result: z.unknown(), logs: z.array(TaskLogOutput) }))
  .query(async ({ ctx, input }) => {
    const t = await getTaskRow(ctx.prisma, input.id, taskScope(ctx.user));
    const logs = await taskLogs(ctx.prisma, t.id, input.afterLogId);
    return { ...toTaskOutput(t, ctx.user), params: t.params, result: t.result, logs: logsForViewer(logs, ctx.user).map(toLogOutput) };
  });
