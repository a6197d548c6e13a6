import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { listMyTasks } from '@/server/services/portal';
import { TaskOutput, toTaskOutput } from '@/server/api/routers/tasks/schemas';

/** Tasks on the user's own VEs, newest first (optionally of one VE). */
export const tasks = customerProcedure
  .input(z.object({ veId: z.string().min(1).max(64).optional(), page: z.number().int().min(1).max(10_000).default(1), pageSize: z.number().int().min(1).max(100).default(20) }))
  .output(z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(TaskOutput) }))
  .query(async ({ ctx, input }) => {
    const r = await listMyTasks(ctx.prisma, ctx.user, input);
    return { ...r, items: r.items.map((t) => toTaskOutput(t, ctx.user)) };
  });
