// Live view of one node.evacuate task: each VE with the state of its own ve.migrate task, so the
// node page can show per-VE progress while the evacuation runs and the result table after.
import type { PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';

export type EvacuationRowStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface EvacuationRow {
  veId: string;
  ctid: number | null;
  hostname: string | null;
  status: EvacuationRowStatus;
  progress: number;
  message: string | null;
  target: { id: string; name: string } | null;
  taskId: string | null;
  mode: string | null;
  pauseMs: number | null;
  reason: string | null;
}

type ResultItem = { veId: string; ctid?: number; hostname?: string; status?: string; reason?: string | null };
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** The evacuation task and one row per VE it covers (NOT_FOUND for any other task id). */
export async function evacuationStatus(prisma: PrismaClient, taskId: string) {
  const task = await prisma.task.findUnique({ where: { id: taskId }, include: { node: { select: { id: true, name: true } } } });
  if (!task || task.type !== 'node.evacuate') throw new AppError('NOT_FOUND', 'Evacuation task not found');
  const migrations = await prisma.task.findMany({
    where: { type: 've.migrate', params: { path: ['evacuateTaskId'], equals: task.id } }, orderBy: { createdAt: 'asc' },
  });
  const reported = (rec(task.result).items as ResultItem[] | undefined) ?? [];
  const ids = [...new Set([...((rec(task.params).veIds as string[] | undefined) ?? []), ...reported.map((i) => i.veId), ...migrations.map((m) => m.veId!).filter(Boolean)])];
  const ves = new Map((await prisma.ve.findMany({ where: { id: { in: ids } }, select: { id: true, ctid: true, hostname: true } })).map((v) => [v.id, v]));
  const targetIds = migrations.map((m) => rec(m.params).targetNodeId).filter((x): x is string => typeof x === 'string');
  const nodes = new Map((await prisma.node.findMany({ where: { id: { in: targetIds } }, select: { id: true, name: true } })).map((n) => [n.id, n]));
  const finished = ['succeeded', 'failed', 'cancelled'].includes(task.status);
  const rows: EvacuationRow[] = ids.map((veId) => {
    const m = migrations.filter((x) => x.veId === veId).at(-1);
    const r = reported.find((i) => i.veId === veId);
    const ve = ves.get(veId);
    const base = { veId, ctid: ve?.ctid ?? m?.ctid ?? r?.ctid ?? null, hostname: ve?.hostname ?? r?.hostname ?? null };
    if (!m) {
      // Not started: still waiting its turn, or the task passed it over (its report says why).
      const status: EvacuationRowStatus = r?.status === 'skipped' || r?.status === 'failed' ? r.status : finished ? 'skipped' : 'pending';
      return { ...base, status, progress: 0, message: null, target: null, taskId: null, mode: null, pauseMs: null, reason: r?.reason ?? null };
    }
    const res = rec(m.result);
    const target = nodes.get(rec(m.params).targetNodeId as string) ?? null;
    return {
      ...base, status: m.status, progress: m.progress, message: m.message, target, taskId: m.id,
      mode: typeof res.mode === 'string' ? res.mode : (rec(m.params).mode as string | undefined) ?? null,
      pauseMs: typeof res.pauseMs === 'number' ? res.pauseMs : null, reason: m.error,
    };
  });
  return {
    task: { id: task.id, status: task.status, progress: task.progress, message: task.message, error: task.error },
    node: task.node, concurrency: Number(rec(task.params).concurrency ?? 2), rows,
  };
}
