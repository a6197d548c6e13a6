// Backup schedules (per plan, or per VE overriding its plan) and when each VE is next due.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { BackupSchedule, PrismaClient } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { parseOrBadInput } from '@/server/services/plans/limits';

const MINUTES_PER_DAY = 24 * 60;

export const ScheduleInput = z.object({
  planId: z.string().min(1).max(64).optional(),
  veId: z.string().min(1).max(64).optional(),
  storageId: z.string().min(1).max(64),
  frequency: z.enum(['daily', 'weekly']).default('daily'),
  weekday: z.number().int().min(0).max(6).default(0).describe('weekly: 0 = Sunday … 6 = Saturday (UTC)'),
  windowStart: z.number().int().min(0).max(MINUTES_PER_DAY - 1).default(120).describe('Minutes after 00:00 UTC the window opens'),
  windowMinutes: z.number().int().min(1).max(MINUTES_PER_DAY).default(240).describe('Each VE starts at a stable random minute inside the window'),
  keepDaily: z.number().int().min(0).max(366).default(7),
  keepWeekly: z.number().int().min(0).max(520).default(4),
  keepMonthly: z.number().int().min(0).max(240).default(3),
  enabled: z.boolean().default(true),
}).strict().refine((s) => !!s.planId !== !!s.veId, { message: 'give planId or veId, not both', path: ['planId'] });
export type ScheduleInput = z.input<typeof ScheduleInput>;

const TIMING = ['frequency', 'weekday', 'windowStart', 'windowMinutes'] as const;

/**
 * Creates or replaces the schedule of a plan or a VE. Setting its timing (or enabling it) starts it
 * afresh: a window that already passed today is not caught up (scheduler.ts), a retention edit is not.
 */
export async function upsertSchedule(prisma: PrismaClient, raw: ScheduleInput): Promise<BackupSchedule> {
  const s = parseOrBadInput(ScheduleInput, raw);
  if (!(await prisma.backupStorage.findUnique({ where: { id: s.storageId }, select: { id: true } }))) throw new AppError('BAD_INPUT', 'storageId: unknown backup storage', { field: 'storageId' });
  if (s.planId && !(await prisma.plan.findUnique({ where: { id: s.planId }, select: { id: true } }))) throw new AppError('BAD_INPUT', 'planId: unknown plan', { field: 'planId' });
  if (s.veId && !(await prisma.ve.findUnique({ where: { id: s.veId }, select: { id: true } }))) throw new AppError('BAD_INPUT', 'veId: unknown VE', { field: 'veId' });
  const { planId, veId, ...data } = s;
  const where = planId ? { planId } : { veId: veId! };
  const old = await prisma.backupSchedule.findUnique({ where });
  const restarts = !old || TIMING.some((k) => old[k] !== data[k]) || (data.enabled && !old.enabled);
  const effectiveFrom = restarts ? { effectiveFrom: new Date() } : {};
  return prisma.backupSchedule.upsert({ where, create: { ...data, ...effectiveFrom, planId: planId ?? null, veId: veId ?? null }, update: { ...data, ...effectiveFrom } });
}

export const listSchedules = (prisma: PrismaClient) => prisma.backupSchedule.findMany({ orderBy: { createdAt: 'asc' } });

export async function deleteSchedule(prisma: PrismaClient, id: string) {
  const r = await prisma.backupSchedule.deleteMany({ where: { id } });
  if (!r.count) throw new AppError('NOT_FOUND', 'schedule not found');
  return { id };
}

type Timing = Pick<BackupSchedule, 'frequency' | 'weekday' | 'windowStart' | 'windowMinutes'>;

/** Start of the schedule's latest window that has opened by `now` (UTC). */
export function periodStart(s: Timing, now: Date): Date {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  let start = new Date(day.getTime() + s.windowStart * 60_000);
  if (start > now) start = new Date(start.getTime() - MINUTES_PER_DAY * 60_000);
  if (s.frequency === 'weekly') {
    while (start.getUTCDay() !== s.weekday) start = new Date(start.getTime() - MINUTES_PER_DAY * 60_000);
  }
  return start;
}

/**
 * When VE `veId` is due in the period that started at `start`: a stable pseudo-random minute of
 * the window (jitter), so a plan's VEs do not all start at once, and the same after a restart.
 */
export function dueAt(s: Timing, veId: string, start: Date): Date {
  const h = createHash('sha256').update(`${veId}|${start.toISOString()}`).digest().readUInt32BE(0);
  return new Date(start.getTime() + (h % s.windowMinutes) * 60_000);
}
