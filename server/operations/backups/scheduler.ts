// The backup scheduler: a graphile-worker cron job (once a minute across all panel processes) that
// queues each VE's scheduled backup at its jittered minute of the window, at most `perNode` backups
// queued or running per node. Everything it decides on is in Postgres, so a panel restart changes nothing.
import { parseCronItems, type ParsedCronItem, type Task as GraphileTask } from 'graphile-worker';
import type { BackupSchedule, PrismaClient } from '@/server/db/client';
import { isAppError } from '@/server/errors';
import { logger } from '@/server/logger';
import { dueAt, periodStart, requestBackup, requestDrill } from '@/server/services/backups';

/** Backups queued or running at once on one node (VZ_BACKUP_NODE_CONCURRENCY, default 2). */
export const nodeConcurrency = (): number => Math.max(1, Number(process.env.VZ_BACKUP_NODE_CONCURRENCY ?? 2) || 2);

const SYSTEM = { role: 'admin' as const, userId: null, apiKeyId: null };
const SCHEDULABLE = ['running', 'stopped', 'suspended'] as const;

interface Due { veId: string; nodeId: string; storageId: string; at: Date }

/**
 * Each VE with its own schedule, else its plan's; due once its jittered minute of the current period
 * passed. A minute missed while the schedule was in force (panel down, node slots full) is caught up
 * once, on the next pass, still within the per-node limit; a minute that passed before the schedule
 * was set (or its window moved, or it was enabled) or before the VE existed is not a missed backup:
 * that VE's first scheduled backup is in the next window, not at once in business hours.
 */
async function dueVes(prisma: PrismaClient, now: Date): Promise<Due[]> {
  const schedules = await prisma.backupSchedule.findMany({ where: { enabled: true } });
  const own = new Set(schedules.flatMap((s) => (s.veId ? [s.veId] : [])));
  const due: Due[] = [];
  for (const s of schedules) {
    const ves = await prisma.ve.findMany({
      where: { state: { in: [...SCHEDULABLE] }, ...(s.veId ? { id: s.veId } : { planId: s.planId, id: { notIn: [...own] } }) },
      select: { id: true, nodeId: true, createdAt: true },
    });
    const start = periodStart(s, now);
    const done = new Set((await prisma.backup.findMany({ where: { veId: { in: ves.map((v) => v.id) }, kind: 'scheduled', createdAt: { gte: start } }, select: { veId: true } })).map((b) => b.veId));
    for (const v of ves) {
      const at = dueAt(s as BackupSchedule, v.id, start);
      const since = Math.max(s.effectiveFrom.getTime(), v.createdAt.getTime());
      if (at <= now && at.getTime() >= since && !done.has(v.id)) due.push({ veId: v.id, nodeId: v.nodeId, storageId: s.storageId, at });
    }
  }
  return due.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** One scheduler pass: queues what is due within each node's free slots; the rest waits for the next pass. */
export async function runBackupSchedules(prisma: PrismaClient, now = new Date(), perNode = nodeConcurrency()): Promise<{ queued: string[]; deferred: number }> {
  const due = await dueVes(prisma, now);
  if (!due.length) return { queued: [], deferred: 0 };
  const busy = await prisma.backup.groupBy({ by: ['nodeId'], where: { state: { in: ['queued', 'running'] } }, _count: { _all: true } });
  const active = new Map(busy.map((b) => [b.nodeId, b._count._all]));
  const queued: string[] = [];
  let deferred = 0;
  for (const d of due) {
    if ((active.get(d.nodeId) ?? 0) >= perNode) { deferred++; continue; }
    try {
      const r = await requestBackup(prisma, SYSTEM, d.veId, { kind: 'scheduled', storageId: d.storageId });
      queued.push(r.backupId);
      active.set(d.nodeId, (active.get(d.nodeId) ?? 0) + 1);
    } catch (e) {
      // Busy VE or a backup already queued (another pass, or "back up now"): the next pass looks again.
      if (!isAppError(e)) throw e;
      logger.debug({ veId: d.veId, code: e.code, err: e.message }, 'scheduled backup not queued');
    }
  }
  if (queued.length || deferred) logger.info({ queued: queued.length, deferred }, 'scheduled backups');
  return { queued, deferred };
}

/** Graphile tasks of the scheduler: the per-minute pass and the weekly restore drill. */
export function backupCronTasks(prisma: PrismaClient): Record<string, GraphileTask> {
  return {
    'backup.schedule': async () => { await runBackupSchedules(prisma); },
    'backup.drill.weekly': async () => {
      if (await prisma.backup.count({ where: { state: 'completed' } })) await requestDrill(prisma, SYSTEM);
    },
  };
}

/** No backfill: a panel that was down runs the missed window's backups on its next pass anyway. */
export const backupCronItems = (): ParsedCronItem[] => parseCronItems([
  { task: 'backup.schedule', match: '* * * * *', identifier: 'backup.schedule', options: { backfillPeriod: 0, maxAttempts: 1, queueName: 'backup-scheduler' } },
  { task: 'backup.drill.weekly', match: '30 4 * * 0', identifier: 'backup.drill.weekly', options: { backfillPeriod: 0, maxAttempts: 1 } },
]);
