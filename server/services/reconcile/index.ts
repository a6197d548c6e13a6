// Drift between nodes and the database, as the reconciler recorded it (never fixed silently).
import type { Prisma, PrismaClient } from '@/server/db/client';
import { z } from 'zod';

/** DB has the VE, the node does not. */
export const MISSING = 'missing_on_node';
/** The node has a container the panel does not know (an orphan). */
export const ORPHAN = 'unknown_on_node';
/** Both have it, but the node's state is one the panel will not adopt on its own (e.g. frozen behind its back). */
export const STATE_MISMATCH = 'state_mismatch';
export const ISSUE_KINDS = [MISSING, ORPHAN, STATE_MISMATCH] as const;

export const ListIssuesInput = z.object({
  nodeId: z.string().max(64).optional(),
  kind: z.enum(ISSUE_KINDS).optional(),
  includeResolved: z.boolean().default(false),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(500).default(100),
});

export async function listReconcileIssues(prisma: PrismaClient, raw: z.input<typeof ListIssuesInput>) {
  const i = ListIssuesInput.parse(raw);
  const where: Prisma.ReconcileIssueWhereInput = {
    ...(i.nodeId ? { nodeId: i.nodeId } : {}),
    ...(i.kind ? { kind: i.kind } : {}),
    ...(i.includeResolved ? {} : { resolvedAt: null }),
  };
  const [total, items] = await Promise.all([
    prisma.reconcileIssue.count({ where }),
    prisma.reconcileIssue.findMany({
      where, orderBy: [{ resolvedAt: { sort: 'desc', nulls: 'first' } }, { detectedAt: 'desc' }], skip: (i.page - 1) * i.pageSize, take: i.pageSize,
      include: { node: { select: { name: true } } },
    }),
  ]);
  return { total, page: i.page, pageSize: i.pageSize, items };
}

export interface SeenIssue {
  ctid: number;
  kind: (typeof ISSUE_KINDS)[number];
  details: Prisma.InputJsonValue;
}

/**
 * Stores one reconcile pass of a node: issues seen now are opened (or re-opened, or refreshed),
 * open issues of checked ctids that were not seen again are resolved. Ctids the pass skipped
 * (a task in flight) keep whatever they had.
 */
/** `checked`: the ctids this pass looked at (a delta pass); absent = every VE of the node. */
export async function recordReconcilePass(prisma: PrismaClient, nodeId: string, seen: SeenIssue[], skipped: Set<number>, checked?: Set<number>) {
  const now = new Date();
  await prisma.$transaction(async (tx) => {
    // One upsert for every issue seen (issue 15: not two statements per issue): opened, re-opened or refreshed.
    const once = [...new Map(seen.map((s) => [`${s.ctid}:${s.kind}`, s])).values()]; // ON CONFLICT touches a row once per statement
    if (once.length) {
      await tx.$executeRaw`
        INSERT INTO "ReconcileIssue" (id, "nodeId", veid, kind, details, "detectedAt", "lastSeenAt")
        SELECT gen_random_uuid()::text, ${nodeId}, x.ctid, x.kind, x.details, t.at, t.at
        FROM jsonb_to_recordset(${JSON.stringify(once)}::jsonb) AS x(ctid int, kind text, details jsonb),
          (SELECT ${now.toISOString()}::timestamptz AT TIME ZONE 'UTC' AS at) t
        ON CONFLICT ("nodeId", veid, kind) DO UPDATE SET
          details = EXCLUDED.details, "lastSeenAt" = EXCLUDED."lastSeenAt", "resolvedAt" = NULL,
          "detectedAt" = CASE WHEN "ReconcileIssue"."resolvedAt" IS NULL THEN "ReconcileIssue"."detectedAt" ELSE EXCLUDED."detectedAt" END`;
    }
    const open = await tx.reconcileIssue.findMany({ where: { nodeId, resolvedAt: null }, select: { id: true, ctid: true, kind: true } });
    const still = new Set(seen.map((s) => `${s.ctid}:${s.kind}`));
    const gone = open.filter((o) => !skipped.has(o.ctid) && (!checked || checked.has(o.ctid)) && !still.has(`${o.ctid}:${o.kind}`)).map((o) => o.id);
    if (gone.length) await tx.reconcileIssue.updateMany({ where: { id: { in: gone } }, data: { resolvedAt: now } });
  });
}
