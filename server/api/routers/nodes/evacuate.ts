import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestEvacuate } from '@/server/operations/migrate';

const Item = z.object({
  veId: z.string(),
  ctid: z.number().int(),
  hostname: z.string(),
  status: z.enum(['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped']),
  target: z.object({ id: z.string(), name: z.string() }).nullable().describe('Placement choice now; the task re-plans when the VE\'s turn comes'),
  taskId: z.string().nullable(),
  reason: z.string().nullable().describe('Why the VE is skipped'),
  why: z.string().optional().describe('Dry run: why placement chose the target, and why it passed over the other nodes'),
});

/** Moves all VEs of a node (or a selection) to other nodes by placement, N at a time (admin); dryRun previews. */
export const evacuate = adminProcedure
  .input(z.object({
    nodeId: z.string().min(1).max(64),
    veIds: z.array(z.string().min(1).max(64)).min(1).max(10_000).optional().describe('Only these VEs of the node (default: all)'),
    concurrency: z.number().int().min(1).max(16).default(2).describe('Migrations at once'),
    mode: z.enum(['auto', 'offline', 'two-pass']).default('auto'),
    keepHours: z.number().min(0).max(24 * 365).default(168),
    bwlimitKBps: z.number().int().min(0).max(10_000_000).default(0),
    dryRun: z.boolean().default(false),
  }))
  .output(z.object({ taskId: z.string().nullable().describe('The node.evacuate task (null on a dry run); its result is the per-VE report'), items: z.array(Item) }))
  .mutation(async ({ ctx, input }) => {
    const { nodeId, ...req } = input;
    const r = await requestEvacuate(ctx.prisma, { userId: ctx.user.id }, nodeId, req);
    return { taskId: r.taskId, items: r.preview };
  });
