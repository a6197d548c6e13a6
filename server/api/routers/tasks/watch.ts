import { z } from 'zod';
import { tracked } from '@trpc/server';
import { authedProcedure } from '@/server/api/trpc';
import { logsForViewer } from '@/server/services/tasks/customerView';
import { taskScope } from '@/server/services/tasks';
import { watchTask } from '@/server/operations/tasks/watch';
import { toLogOutput, toTaskOutput } from './schemas';

/**
 * Live progress and log lines of one task (tRPC subscription over SSE: httpSubscriptionLink).
 * The first event is the whole task (and its log so far), then one event per change; the stream
 * ends after the task finished. Each event id is the last log line id, so a reconnecting
 * EventSource resumes (lastEventId) without repeating lines.
 */
export const watch = authedProcedure
  .input(z.object({ id: z.string().min(1).max(64), lastEventId: z.string().max(40).nullish() }))
  .subscription(async function* ({ ctx, input, signal }) {
    const afterLogId = Number(/^\d+/.exec(input.lastEventId ?? '')?.[0] ?? 0);
    for await (const u of watchTask(ctx.prisma, input.id, { scope: taskScope(ctx.user), afterLogId, signal })) {
      yield tracked(String(u.lastLogId), { task: toTaskOutput(u.task, ctx.user), logs: logsForViewer(u.logs, ctx.user).map(toLogOutput) });
    }
  });
