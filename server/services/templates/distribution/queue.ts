// Template distribution, the panel's bookkeeping: which node should hold which template (TemplateCache
// rows: pending -> syncing -> ready | failed + why) and the template.sync tasks that push them.
import type { Prisma, PrismaClient, TemplateCacheState } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { enqueueTaskTx } from '@/server/services/tasks/enqueue';

type Tx = Prisma.TransactionClient | PrismaClient;

/** Attempts of one template.sync task (node offline or busy is retried with backoff); VZ_TEMPLATE_SYNC_ATTEMPTS overrides. */
export const syncAttempts = (): number => Math.max(1, Number(process.env.VZ_TEMPLATE_SYNC_ATTEMPTS ?? 4) || 4);

/**
 * Nodes templates are pushed to ahead of need: online, not in maintenance, host key trusted (an
 * offline node gets its copies when it comes back: the distributor's sweep, server/operations/templates).
 */
export const HOST_NODES: Prisma.NodeWhereInput = { state: 'online', maintenance: false, hostKeyMismatch: false };

/** One sync at a time per node: pushes share the node's disk and link. */
export const syncQueue = (nodeId: string) => `template-sync:${nodeId}`;

/** The queued or running template.sync task of (template, node), if any. */
export function liveSyncTask(tx: Tx, templateId: string, nodeId: string) {
  return tx.task.findFirst({ where: { type: 'template.sync', nodeId, status: { in: ['queued', 'running'] }, params: { path: ['templateId'], equals: templateId } }, select: { id: true } });
}

// Prisma's upsert is a read then a write: two callers at once both create. ON CONFLICT is one step.
const ensureRow = (tx: Tx, templateId: string, nodeId: string) =>
  tx.$executeRaw`INSERT INTO "TemplateCache" (id, "templateId", "nodeId", state, "updatedAt") VALUES (gen_random_uuid(), ${templateId}, ${nodeId}, 'pending', now())
    ON CONFLICT ("templateId", "nodeId") DO NOTHING`;

export interface SyncRequest {
  templateId: string;
  nodeId: string;
  /** Shown in the task: "new version", "new node", "retry", "admin"... */
  why: string;
  userId?: string | null;
}

/**
 * Queues a push of the template's newest version to one node, its cache row going to pending. A
 * sync already queued or running for the pair is reused (no second task). The row is locked while
 * deciding, so two callers at once queue one task.
 */
export async function queueTemplateSync(prisma: PrismaClient, r: SyncRequest): Promise<{ taskId: string; queued: boolean }> {
  return prisma.$transaction(async (tx) => {
    const [template, node] = await Promise.all([
      tx.template.findUnique({ where: { id: r.templateId }, select: { id: true } }),
      tx.node.findUnique({ where: { id: r.nodeId }, select: { id: true } }),
    ]);
    if (!template) throw new AppError('NOT_FOUND', 'Template not found');
    if (!node) throw new AppError('NOT_FOUND', 'Node not found');
    await ensureRow(tx, r.templateId, r.nodeId);
    await tx.$queryRaw`SELECT 1 FROM "TemplateCache" WHERE "templateId" = ${r.templateId} AND "nodeId" = ${r.nodeId} FOR UPDATE`;
    const live = await liveSyncTask(tx, r.templateId, r.nodeId);
    if (live) return { taskId: live.id, queued: false };
    await tx.templateCache.update({ where: { templateId_nodeId: { templateId: r.templateId, nodeId: r.nodeId } }, data: { state: 'pending' } });
    const task = await enqueueTaskTx(tx, {
      type: 'template.sync', params: { templateId: r.templateId, why: r.why }, nodeId: r.nodeId, userId: r.userId ?? null,
      queue: syncQueue(r.nodeId), maxAttempts: syncAttempts(),
    });
    return { taskId: task.id, queued: true };
  });
}

/** Queues the template to every host node whose copy is not ready (a new version makes them all pending). */
export async function queueSyncsForTemplate(prisma: PrismaClient, templateId: string, why: string, userId?: string | null) {
  const t = await prisma.template.findUnique({ where: { id: templateId }, select: { enabled: true } });
  if (!t?.enabled) return [];
  const nodes = await prisma.node.findMany({ where: HOST_NODES, select: { id: true, templateCaches: { where: { templateId }, select: { state: true } } } });
  const out = [];
  for (const n of nodes) {
    if (n.templateCaches[0]?.state === 'ready') continue;
    out.push(await queueTemplateSync(prisma, { templateId, nodeId: n.id, why, userId }));
  }
  return out;
}

/** Queues every enabled template with a version to one node (a new node, or an admin's "sync all"). */
export async function queueSyncsForNode(prisma: PrismaClient, nodeId: string, why: string, opts: { userId?: string | null; includeReady?: boolean } = {}) {
  const templates = await prisma.template.findMany({ where: { enabled: true, versions: { some: {} } }, select: { id: true, caches: { where: { nodeId }, select: { state: true } } } });
  const out = [];
  for (const t of templates) {
    if (!opts.includeReady && t.caches[0]?.state === 'ready') continue;
    out.push(await queueTemplateSync(prisma, { templateId: t.id, nodeId, why, userId: opts.userId }));
  }
  return out;
}

/** Records a node's cache state for a template (the sync task and the create path). */
export async function setCacheState(prisma: Tx, templateId: string, nodeId: string, state: TemplateCacheState, error: string | null = null) {
  const data = { state, error: error?.slice(0, 1000) ?? null, ...(state === 'ready' ? { syncedAt: new Date() } : {}) };
  await ensureRow(prisma, templateId, nodeId);
  await prisma.templateCache.update({ where: { templateId_nodeId: { templateId, nodeId } }, data });
}
