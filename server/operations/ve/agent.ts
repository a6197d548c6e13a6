// The agent client of a VE's node for a task, failing fast when the node is known to be offline.
import type { Node, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import type { Notification } from '@/agents/protocol';
import type { AgentClient } from '@/server/nodes/client';
import { getAgent, type NodeSpec } from '@/server/nodes/pool';
import type { TaskContext } from '@/server/operations/tasks/registry';
import { nodeSpec } from '@/server/nodes/spec';

// How task runners reach a node: from its row (local socket through `vzagent rpc`, or SSH). Only a
// bench or test of a simulated fleet replaces it (startWorker's specFor, as the node monitor and the
// reconciler take one): the Node row's transport is local or ssh, so nothing a user sends picks another.
let specOf: (node: Node) => NodeSpec = nodeSpec;

/** Replaces how task runners reach nodes (simulated fleets: the `socket` transport); returns the undo. */
export function setTaskNodeSpec(fn: (node: Node) => NodeSpec): () => void {
  const prev = specOf;
  specOf = fn;
  return () => {
    if (specOf === fn) specOf = prev;
  };
}

export async function agentForNode(prisma: PrismaClient, nodeId: string): Promise<AgentClient> {
  // Every task reads its node: a raw read costs the panel about half of Prisma's model query.
  const [node] = await prisma.$queryRaw<Node[]>`SELECT * FROM "Node" WHERE id = ${nodeId}`;
  if (!node) throw new AppError('NOT_FOUND', 'node not found');
  if (node.state === 'offline') throw new AppError('NODE_OFFLINE', `node ${node.name} is offline${node.stateReason ? `: ${node.stateReason}` : ''}`);
  return getAgent(node.id, specOf(node));
}

/** Call options that carry the task's operation id and stream agent progress/log into the task. */
export function taskCallOptions(ctx: TaskContext, step: string, span: [number, number] = [0, 100]) {
  const [lo, hi] = span;
  return {
    // One journal entry per agent call of the task: a re-run of the task repeats each step's id.
    opId: `${ctx.opId}:${step}`,
    onNotification: (n: Notification) => {
      if (n.method === 'progress') {
        const pct = lo + ((hi - lo) * n.params.pct) / 100;
        // Nobody awaits an agent's progress: at most one write per gap, the latest value winning.
        if (ctx.progressLater) ctx.progressLater(pct, n.params.message);
        else void ctx.progress(pct, n.params.message);
      }
      else if (n.method === 'log') void ctx.log(n.params.line);
    },
  };
}
