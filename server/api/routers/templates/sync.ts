import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { AppError } from '@/server/errors';
import { HOST_NODES, queueSyncsForNode, queueTemplateSync } from '@/server/services/templates/distribution/queue';

/**
 * "Sync now" / "retry" (admin): copies a template's newest version to one node, to every online
 * node (template only), or every enabled template to one node (node only). A copy already queued
 * or running is reused; a node that already holds the version just reports ready.
 */
export const sync = adminProcedure
  .input(z.object({ templateId: z.string().min(1).max(64).optional(), nodeId: z.string().min(1).max(64).optional() }))
  .output(z.object({ taskIds: z.array(z.string()).describe('template.sync tasks (queued now or already under way)') }))
  .mutation(async ({ ctx, input }) => {
    const userId = ctx.user.id;
    if (input.templateId && input.nodeId) return { taskIds: [(await queueTemplateSync(ctx.prisma, { templateId: input.templateId, nodeId: input.nodeId, why: 'admin: sync now', userId })).taskId] };
    if (input.nodeId) return { taskIds: (await queueSyncsForNode(ctx.prisma, input.nodeId, 'admin: sync this node', { userId, includeReady: true })).map((r) => r.taskId) };
    if (!input.templateId) throw new AppError('BAD_INPUT', 'templateId or nodeId: name at least one', { field: 'templateId' });
    const nodes = await ctx.prisma.node.findMany({ where: HOST_NODES, select: { id: true } });
    const out = [];
    for (const n of nodes) out.push((await queueTemplateSync(ctx.prisma, { templateId: input.templateId, nodeId: n.id, why: 'admin: sync to all nodes', userId })).taskId);
    return { taskIds: out };
  });
