// One batch of a script/package-update job: one bulk.exec per node, VEs in parallel on the agent,
// each VE's row updated as its result event arrives.
import type { BulkItemResult } from '@/agents/protocol/methods/bulk';
import type { BulkJob, BulkJobItem, PrismaClient } from '@/server/db/client';
import type { AgentClient } from '@/server/nodes/client';
import { agentForNode } from '@/server/operations/ve/agent';
import type { BulkAction } from '@/server/services/bulk/schemas';

const TAIL = 2048;

export const itemStatusOf = (r: BulkItemResult) => (r.state === 'ok' ? 'succeeded' as const : r.state === 'cancelled' ? 'cancelled' as const : 'failed' as const);

async function saveResult(prisma: PrismaClient, itemId: string, r: BulkItemResult) {
  await prisma.bulkJobItem.updateMany({
    // A row already final (an earlier attempt saw the event) is left alone.
    where: { id: itemId, status: { in: ['queued', 'running'] } },
    data: {
      status: itemStatusOf(r), exitCode: r.exitCode, durationMs: r.durationMs, timedOut: r.timedOut,
      stdoutTail: r.stdoutTail, stderrTail: r.stderrTail, error: r.error ? `${r.errorCode ?? 'ERROR'}: ${r.error}` : r.timedOut ? 'timed out' : null,
      finishedAt: new Date(),
    },
  });
}

/** The script a package update runs in a Debian-family VE, through the node's shared cache. */
export function aptUpdateScript(proxyUrl: string | undefined, upgrade: boolean, packages?: string[]): string {
  const o = proxyUrl ? `-o Acquire::http::Proxy=${proxyUrl} ` : '';
  const step = packages?.length ? `install ${packages.join(' ')}` : upgrade ? 'upgrade' : '';
  return [
    'set -e',
    'export DEBIAN_FRONTEND=noninteractive',
    `apt-get ${o}-q update`,
    step ? `apt-get ${o}-q -y -o Dpkg::Options::=--force-confold ${step}` : 'true',
    'apt-get clean',
    '',
  ].join('\n');
}

export interface BatchOptions {
  job: BulkJob;
  /** Items of this batch on this node (all of them, so a repeat of the call repeats the same request). */
  items: BulkJobItem[];
  /** Base of the agent operation id (the job's task opId + batch). */
  opBase: string;
  onItemDone(status: 'succeeded' | 'failed' | 'cancelled'): void;
  /** In-flight calls register here so a cancel can reach the node. */
  inflight: Map<string, AgentClient>;
}

/** Runs the batch's items of one node through bulk.exec; never throws (a node failure fails its items). */
export async function execBatchOnNode(prisma: PrismaClient, nodeId: string, o: BatchOptions): Promise<void> {
  const action = o.job.params as BulkAction;
  const opId = `${o.opBase}:${nodeId}`;
  const byCtid = new Map(o.items.map((i) => [i.ctid, i]));
  const pending = o.items.filter((i) => i.status === 'queued' || i.status === 'running');
  if (!pending.length) return;
  await prisma.bulkJobItem.updateMany({ where: { id: { in: pending.map((i) => i.id) }, status: 'queued' }, data: { status: 'running', startedAt: new Date(), agentOpId: opId } });
  const seen = new Set<number>();
  const saves: Promise<unknown>[] = [];
  const record = (r: BulkItemResult) => {
    const item = byCtid.get(r.ctid);
    if (!item || seen.has(r.ctid)) return;
    seen.add(r.ctid);
    if (item.status === 'queued' || item.status === 'running') o.onItemDone(itemStatusOf(r));
    saves.push(saveResult(prisma, item.id, r));
  };
  try {
    const agent = await agentForNode(prisma, nodeId);
    let script: string;
    if (action.type === 'script') script = action.script;
    else if (action.type === 'packageUpdate') {
      // One cache per node: every VE's apt goes through it, so each file is fetched once.
      const cache = await agent.call('bulk.aptCache', { action: 'ensure' }).catch(() => undefined);
      script = aptUpdateScript(cache?.proxyUrl, action.upgrade, action.packages);
    } else throw new Error(`action ${action.type} does not run through bulk.exec`);
    const timeoutSec = action.timeoutSec;
    o.inflight.set(opId, agent);
    const res = await agent.call('bulk.exec', { items: o.items.map((i) => ({ ctid: i.ctid })), script, timeoutSec, concurrency: o.job.concurrency, tailBytes: TAIL }, {
      opId,
      timeoutMs: (timeoutSec + 60) * 1000 * Math.ceil(o.items.length / o.job.concurrency),
      onNotification: (n) => {
        if (n.method === 'event' && n.params.type === 'bulk.item' && n.params.data) record(n.params.data as unknown as BulkItemResult);
      },
    });
    // Events are best effort (a reconnect may drop some): the result has every VE.
    for (const r of res.items) record(r);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    for (const i of pending) {
      if (seen.has(i.ctid)) continue;
      record({ ctid: i.ctid, state: 'error', exitCode: null, durationMs: 0, stdoutTail: '', stderrTail: '', timedOut: false, errorCode: 'NODE', error: message });
    }
  } finally {
    o.inflight.delete(opId);
    await Promise.all(saves);
  }
}
