import { z } from 'zod';
import { authedProcedure } from '@/server/api/trpc';
import { listTasks, ListTasksInput, taskScope } from '@/server/services/tasks';
import { TaskOutput, toTaskOutput } from './schemas';

/** Tasks, newest first, filtered and paged; admins see all, customers the tasks of their own VEs. */
export const list = authedProcedure
  .input(ListTasksInput)
  .output(z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(TaskOutput) }))
  .query(async ({ ctx, input }) => {
    const r = await listTasks(ctx.prisma, input, taskScope(ctx.user));
    return { ...r, items: r.items.map((t) => toTaskOutput(t, ctx.user)) };
  });
