// Node evacuation: a `node.evacuate` task moves all (or chosen) VEs of a node to others by placement,
// N migrations at a time, and reports each VE's outcome in its result.
import type { Prisma, PrismaClient, Task } from '@/server/db/client';
import { AppError, isAppError } from '@/server/errors';
import { closeAgent } from '@/server/nodes/pool';
import { enqueueTask } from '@/server/services/tasks/enqueue';
import { deleteNodeRow } from '@/server/services/nodes/manage';
import { taskParams, type TaskContext } from '@/server/operations/tasks/registry';
import type { TaskParams } from '@/server/services/tasks/definitions';
import { requestMigrateVe } from './request';
import { chooseMigrationTarget, explainPlacement } from './placement';
import type { RequestedMode } from './plan';

export interface EvacuateRequest {
  /** Only these VEs (each must be on the node); default: every VE on the node. */
  veIds?: string[];
  /** Migrations running at once (each needs a free worker slot besides the evacuation's own). */
  concurrency?: number;
  mode?: RequestedMode;
  keepHours?: number;
  bwlimitKBps?: number;
  dryRun?: boolean;
}

type ItemStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface EvacuateItem {
  veId: string;
  ctid: number;
  hostname: string;
  status: ItemStatus;
  target: { id: string; name: string } | null;
  taskId: string | null;
  reason: string | null;
  /** Dry run: why placement chose `target` (and passed over the other nodes). */
  why?: string;
  mode?: string;
  pauseMs?: number;
}

export interface EvacuateResult {
  node: { id: string; name: string };
  concurrency: number;
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  items: EvacuateItem[];
  /** removeAfter: whether the emptied node was removed. */
  removed?: boolean;
}

/** Task params; nodes.remove({evacuate:true}) queues `{removeAfter:true}` alone (all VEs, defaults). */
type EvacuateParams = TaskParams<'node.evacuate'>;

const MOVABLE = new Set(['running', 'stopped']);
const DONE = new Set(['succeeded', 'failed', 'cancelled']);

async function loadItems(prisma: PrismaClient, nodeId: string, veIds?: string[]) {
  const ves = await prisma.ve.findMany({ where: veIds ? { id: { in: veIds } } : { nodeId }, orderBy: { ctid: 'asc' } });
  if (veIds) {
    const missing = veIds.filter((id) => !ves.some((v) => v.id === id));
    if (missing.length) throw new AppError('NOT_FOUND', `VE not found: ${missing.join(', ')}`, { field: 'veIds' });
    const elsewhere = ves.filter((v) => v.nodeId !== nodeId);
    if (elsewhere.length) throw new AppError('BAD_INPUT', `not on this node: VE ${elsewhere.map((v) => v.ctid).join(', ')}`, { field: 'veIds' });
  }
  return ves;
}

/**
 * Previews (dryRun) or queues the evacuation of a node: the preview names each VE's target by
 * placement now (skipped VEs say why); the task re-plans each VE when its turn comes.
 */
export async function requestEvacuate(
  prisma: PrismaClient, actor: { userId?: string | null; apiKeyId?: string | null }, nodeId: string, req: EvacuateRequest,
): Promise<{ taskId: string | null; preview: EvacuateItem[] }> {
  const node = await prisma.node.findUnique({ where: { id: nodeId } });
  if (!node) throw new AppError('NOT_FOUND', 'Node not found');
  const ves = await loadItems(prisma, nodeId, req.veIds);
  const preview: EvacuateItem[] = [];
  for (const v of ves) {
    const item: EvacuateItem = { veId: v.id, ctid: v.ctid, hostname: v.hostname, status: 'pending', target: null, taskId: null, reason: null };
    if (!MOVABLE.has(v.state)) Object.assign(item, { status: 'skipped', reason: `the VE is ${v.state}` });
    else {
      try {
        const p = await chooseMigrationTarget(prisma, v);
        Object.assign(item, { target: p.node, why: explainPlacement(p) });
      } catch (e) {
        Object.assign(item, { status: 'skipped', reason: (e as Error).message });
      }
    }
    preview.push(item);
  }
  if (req.dryRun) return { taskId: null, preview };
  const params: EvacuateParams = {
    veIds: ves.map((v) => v.id), concurrency: req.concurrency ?? 2, mode: req.mode, keepHours: req.keepHours, bwlimitKBps: req.bwlimitKBps,
  };
  const t = await enqueueTask(prisma, {
    type: 'node.evacuate', nodeId, queue: `node:${nodeId}`, maxAttempts: 3,
    params, userId: actor.userId ?? null, apiKeyId: actor.apiKeyId ?? null,
  });
  return { taskId: t.id, preview };
}

/** The node removal nodes.remove({evacuate:true}) asked for, once no VE is left on it. */
async function removeEmptyNode(ctx: TaskContext, node: { id: string; name: string }): Promise<boolean> {
  const left = await ctx.prisma.ve.count({ where: { nodeId: node.id } });
  if (left) {
    await ctx.log(`node ${node.name} still holds ${left} VE(s): not removed`, 'warn');
    return false;
  }
  await closeAgent(node.id);
  await deleteNodeRow(ctx.prisma, node.id);
  // Its delayed `.migrated` purges now fail (node gone): the copies stay on the retired machine.
  await ctx.log(`node ${node.name} removed (its kept .migrated copies stay on the machine)`);
  return true;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The `node.evacuate` task. Safe to re-run: migrations it already queued are found by its id. */
export async function runEvacuate(ctx: TaskContext): Promise<EvacuateResult> {
  const p = taskParams(ctx, 'node.evacuate');
  const nodeId = ctx.task.nodeId;
  if (!nodeId) throw new AppError('INTERNAL', 'node.evacuate task names no node');
  const node = await ctx.prisma.node.findUniqueOrThrow({ where: { id: nodeId } });
  const n = Math.max(1, p.concurrency ?? 2);
  const earlier = await ctx.prisma.task.findMany({
    where: { type: 've.migrate', params: { path: ['evacuateTaskId'], equals: ctx.task.id } }, orderBy: { createdAt: 'asc' },
  });
  // Without a list: the VEs on the node now, plus those a previous attempt already moved away.
  const ids = p.veIds ?? [...new Set([...(await ctx.prisma.ve.findMany({ where: { nodeId }, select: { id: true } })).map((v) => v.id), ...earlier.map((t) => t.veId!)])];
  const ves = await ctx.prisma.ve.findMany({ where: { id: { in: ids } }, orderBy: { ctid: 'asc' } });
  const items: EvacuateItem[] = ves.map((v) => {
    const t = earlier.filter((x) => x.veId === v.id).at(-1);
    return { veId: v.id, ctid: v.ctid, hostname: v.hostname, status: t ? 'queued' : 'pending', target: null, taskId: t?.id ?? null, reason: null };
  });
  const nodes = new Map((await ctx.prisma.node.findMany({ select: { id: true, name: true } })).map((x) => [x.id, x]));
  await ctx.log(`evacuating ${items.length} VE(s) from ${node.name}, ${n} at a time`);

  const start = async (it: EvacuateItem) => {
    const ve = await ctx.prisma.ve.findUnique({ where: { id: it.veId } });
    if (!ve || ve.nodeId !== nodeId) return Object.assign(it, { status: 'skipped', reason: ve ? 'no longer on this node' : 'the VE was deleted' });
    if (!MOVABLE.has(ve.state)) return Object.assign(it, { status: 'skipped', reason: `the VE is ${ve.state}` });
    try {
      const r = await requestMigrateVe(ctx.prisma, { userId: ctx.task.userId, apiKeyId: ctx.task.apiKeyId }, ve.id, {
        mode: p.mode, keepHours: p.keepHours, bwlimitKBps: p.bwlimitKBps, evacuateTaskId: ctx.task.id,
      });
      Object.assign(it, { status: 'queued', taskId: r.taskId, target: r.plan.target, mode: r.plan.mode });
      await ctx.log(`VE ${it.ctid}: ${r.plan.mode} to ${r.plan.target.name} (task ${r.taskId})`);
    } catch (e) {
      const code = isAppError(e) ? e.code : 'INTERNAL';
      Object.assign(it, { status: code === 'CAPACITY' ? 'skipped' : 'failed', reason: (e as Error).message });
      await ctx.log(`VE ${it.ctid}: not moved: ${(e as Error).message}`, 'warn');
    }
  };
  const settle = (it: EvacuateItem, t: Task) => {
    if (!DONE.has(t.status)) return void (it.status = t.status === 'running' ? 'running' : 'queued');
    const res = (t.result ?? {}) as { pauseMs?: number; mode?: string };
    const params = t.params as { targetNodeId?: string };
    it.target = it.target ?? (params.targetNodeId ? nodes.get(params.targetNodeId) ?? null : null);
    if (t.status === 'succeeded') Object.assign(it, { status: 'succeeded', pauseMs: res.pauseMs, mode: res.mode ?? it.mode, reason: null });
    else Object.assign(it, { status: 'failed', reason: t.error ?? t.status });
  };

  let cancelled = false;
  for (;;) {
    const watched = items.filter((i) => i.taskId && (i.status === 'queued' || i.status === 'running'));
    if (watched.length) {
      const rows = await ctx.prisma.task.findMany({ where: { id: { in: watched.map((i) => i.taskId!) } } });
      for (const t of rows) {
        const it = watched.find((i) => i.taskId === t.id)!;
        const before = it.status;
        settle(it, t);
        if (before !== it.status && (it.status === 'succeeded' || it.status === 'failed')) {
          await ctx.log(`VE ${it.ctid}: ${it.status}${it.reason ? `: ${it.reason}` : ''}${it.pauseMs !== undefined ? ` (pause ${it.pauseMs} ms)` : ''}`, it.status === 'failed' ? 'error' : 'info');
        }
      }
    }
    cancelled ||= (await ctx.prisma.task.findUnique({ where: { id: ctx.task.id }, select: { status: true } }))?.status === 'cancelled';
    let active = items.filter((i) => i.status === 'queued' || i.status === 'running').length;
    for (const it of items) {
      if (cancelled || active >= n) break;
      if (it.status !== 'pending') continue;
      await start(it);
      if ((it.status as ItemStatus) === 'queued') active += 1;
    }
    const done = items.filter((i) => !['pending', 'queued', 'running'].includes(i.status)).length;
    await ctx.progress((100 * done) / Math.max(1, items.length), `${done}/${items.length} VEs done`);
    if (active === 0 && (cancelled || !items.some((i) => i.status === 'pending'))) break;
    await sleep(500);
  }
  for (const it of items) if (it.status === 'pending') Object.assign(it, { status: 'skipped', reason: 'evacuation cancelled' });

  const count = (s: ItemStatus) => items.filter((i) => i.status === s).length;
  const result: EvacuateResult = {
    node: { id: node.id, name: node.name }, concurrency: n, total: items.length,
    succeeded: count('succeeded'), failed: count('failed'), skipped: count('skipped'), items,
  };
  const summary = `${result.succeeded} of ${result.total} VE(s) moved off ${node.name}, ${result.failed} failed, ${result.skipped} skipped`;
  await ctx.log(summary);
  if (p.removeAfter && !result.failed && !result.skipped) result.removed = await removeEmptyNode(ctx, node);
  if (result.failed || result.skipped) {
    // The report stays on the failed task: the runner does not overwrite a result on failure.
    await ctx.prisma.task.update({ where: { id: ctx.task.id }, data: { result: result as unknown as Prisma.InputJsonValue } });
    throw new AppError('UNPROCESSABLE', `evacuation incomplete: ${summary}`, { failed: result.failed, skipped: result.skipped });
  }
  return result;
}
