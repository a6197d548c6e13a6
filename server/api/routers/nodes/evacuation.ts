import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { evacuationStatus } from '@/server/services/nodes/evacuation';

const Status = z.enum(['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']);

/** Live state of a node.evacuate task: one row per VE with its own migration's progress (admin). */
export const evacuation = adminProcedure
  .input(z.object({ taskId: z.string().min(1).max(64) }))
  .output(z.object({
    task: z.object({ id: z.string(), status: z.string(), progress: z.number(), message: z.string().nullable(), error: z.string().nullable() }),
    node: z.object({ id: z.string(), name: z.string() }).nullable(),
    concurrency: z.number().int(),
    rows: z.array(z.object({
      veId: z.string(), ctid: z.number().int().nullable(), hostname: z.string().nullable(), status: Status, progress: z.number(),
      message: z.string().nullable(), target: z.object({ id: z.string(), name: z.string() }).nullable(), taskId: z.string().nullable(),
      mode: z.string().nullable(), pauseMs: z.number().nullable().describe('How long the VE was paused (succeeded migrations)'), reason: z.string().nullable(),
    })),
  }))
  .query(({ ctx, input }) => evacuationStatus(ctx.prisma, input.taskId));
