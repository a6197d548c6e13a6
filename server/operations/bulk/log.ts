// A VE's full output of a bulk run lives on its node (<vzroot>/bulk/<opId>/<ctid>.log): fetched on demand.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { getAgent } from '@/server/nodes/pool';
import { nodeSpec } from '@/server/nodes/spec';

export async function bulkItemLog(prisma: PrismaClient, jobId: string, ctid: number, maxBytes: number) {
  const item = await prisma.bulkJobItem.findUnique({ where: { bulkJobId_ctid: { bulkJobId: jobId, ctid } } });
  if (!item) throw new AppError('NOT_FOUND', 'no such VE in this bulk job');
  if (!item.agentOpId || !item.nodeId) throw new AppError('NOT_FOUND', 'this VE has no output log (its action does not run a script, or it has not started)');
  const node = await prisma.node.findUnique({ where: { id: item.nodeId } });
  if (!node) throw new AppError('NOT_FOUND', 'the VE\'s node is gone');
  return getAgent(node.id, nodeSpec(node)).call('bulk.log', { opId: item.agentOpId, ctid, maxBytes });
}
