// Which template copies are due: a host node without a row (a new node or template), a pending row
// no task serves (the panel stopped mid-way, or the node was offline), a failed one whose backoff is over.
import type { PrismaClient } from '@/server/db/client';
import { HOST_NODES, queueTemplateSync } from './queue';

/** First wait after a failed sync, doubled per failure in a row up to MAX (VZ_TEMPLATE_RETRY_MS overrides the first). */
const retryBaseMs = () => Number(process.env.VZ_TEMPLATE_RETRY_MS) || 5 * 60_000;
const RETRY_MAX_MS = 6 * 3600_000;

export interface DueSync { templateId: string; nodeId: string; why: string }

const key = (templateId: string, nodeId: string) => `${templateId}/${nodeId}`;
const templateOf = (params: unknown) => String((params as { templateId?: unknown } | null)?.templateId ?? '');

export async function dueSyncs(prisma: PrismaClient, now = new Date(), onlyNodeId?: string): Promise<DueSync[]> {
  const nodes = await prisma.node.findMany({ where: { ...HOST_NODES, ...(onlyNodeId ? { id: onlyNodeId } : {}) }, select: { id: true } });
  if (!nodes.length) return [];
  const templates = await prisma.template.findMany({
    where: { enabled: true, versions: { some: {} } },
    select: { id: true, caches: { select: { nodeId: true, state: true, updatedAt: true, syncedAt: true } } },
  });
  const tasks = await prisma.task.findMany({
    where: { type: 'template.sync', OR: [{ status: { in: ['queued', 'running'] } }, { status: 'failed', createdAt: { gt: new Date(now.getTime() - 2 * RETRY_MAX_MS) } }] },
    select: { nodeId: true, params: true, status: true, createdAt: true },
  });
  const live = new Set(tasks.filter((t) => t.status !== 'failed').map((t) => key(templateOf(t.params), t.nodeId ?? '')));
  const due: DueSync[] = [];
  for (const t of templates) {
    for (const n of nodes) {
      if (live.has(key(t.id, n.id))) continue;
      const row = t.caches.find((c) => c.nodeId === n.id);
      if (!row) due.push({ templateId: t.id, nodeId: n.id, why: 'ahead of need: the node has no copy' });
      else if (row.state === 'pending' || row.state === 'syncing') due.push({ templateId: t.id, nodeId: n.id, why: 'pending with no task serving it' });
      else if (row.state === 'failed') {
        const since = row.syncedAt ?? new Date(0);
        const failures = tasks.filter((x) => x.status === 'failed' && x.nodeId === n.id && templateOf(x.params) === t.id && x.createdAt > since).length;
        const wait = Math.min(RETRY_MAX_MS, retryBaseMs() * 2 ** Math.max(0, failures - 1));
        if (now.getTime() - row.updatedAt.getTime() >= wait) due.push({ templateId: t.id, nodeId: n.id, why: `retry after ${failures} failed attempt(s)` });
      }
    }
  }
  return due;
}

/** Queues every due copy (the distributor's tick); returns how many tasks it queued. */
export async function queueDueSyncs(prisma: PrismaClient, onlyNodeId?: string): Promise<number> {
  let n = 0;
  for (const d of await dueSyncs(prisma, new Date(), onlyNodeId)) if ((await queueTemplateSync(prisma, d)).queued) n++;
  return n;
}
