import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { removeNode } from '@/server/operations/nodes';

/** Forgets a node; refused while it holds VEs unless `evacuate` (fleet operations) (admin). */
export const remove = adminProcedure
  .input(z.object({ nodeId: z.string().min(1).max(64), evacuate: z.boolean().default(false) }))
  .output(z.object({ removed: z.boolean(), taskId: z.string().nullable().describe('node.evacuate task when evacuating') }))
  .mutation(({ ctx, input }) => removeNode(ctx.prisma, { userId: ctx.user.id }, input.nodeId, { evacuate: input.evacuate }));
