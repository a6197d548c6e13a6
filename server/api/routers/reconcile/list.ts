import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { ISSUE_KINDS, ListIssuesInput, listReconcileIssues } from '@/server/services/reconcile';

const Issue = z.object({
  id: z.string(),
  nodeId: z.string(),
  nodeName: z.string(),
  ctid: z.number().int(),
  kind: z.enum(ISSUE_KINDS).describe('missing_on_node: the panel has the VE, the node lost it; unknown_on_node: an orphan container; state_mismatch'),
  details: z.record(z.string(), z.unknown()),
  detectedAt: z.string(),
  lastSeenAt: z.string(),
  resolvedAt: z.string().nullable().describe('set when the drift disappeared'),
});

/** Drift the reconciler found between nodes and the panel; open ones first (admin). */
export const list = adminProcedure
  .input(ListIssuesInput)
  .output(z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(Issue) }))
  .query(async ({ ctx, input }) => {
    const r = await listReconcileIssues(ctx.prisma, input);
    return {
      ...r,
      items: r.items.map((i) => ({
        id: i.id, nodeId: i.nodeId, nodeName: i.node.name, ctid: i.ctid, kind: i.kind as (typeof ISSUE_KINDS)[number],
        details: (i.details ?? {}) as Record<string, unknown>, detectedAt: i.detectedAt.toISOString(), lastSeenAt: i.lastSeenAt.toISOString(),
        resolvedAt: i.resolvedAt?.toISOString() ?? null,
      })),
    };
  });
