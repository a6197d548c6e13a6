import { z } from 'zod';
import { LIMIT_KEYS } from '@/server/services/plans';

export const VeIdInput = z.object({ id: z.string().min(1).max(64) });

export const TaskRefOutput = z.object({ taskId: z.string().describe('The queued task; follow it for progress and log') });

const LimitKey = z.enum(LIMIT_KEYS as [string, ...string[]]);

/** What a limits change did: the changed fields, which of them wait for a restart, and the task applying them. */
export const LimitsChangeOutput = z.object({
  taskId: z.string().nullable().describe('null when nothing changed'),
  changes: z.array(z.object({ field: LimitKey, from: z.number().nullable(), to: z.number() })),
  needsRestart: z.array(LimitKey).describe('Fields that take effect only after a restart; empty = all applied live'),
  limits: z.record(z.string(), z.number()),
  overrides: z.record(z.string(), z.number()),
});
