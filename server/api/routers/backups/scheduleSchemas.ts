import { z } from 'zod';
import type { BackupSchedule } from '@/server/db/client';

export const ScheduleOutput = z.object({
  id: z.string(), planId: z.string().nullable(), veId: z.string().nullable(), storageId: z.string(),
  frequency: z.enum(['daily', 'weekly']), weekday: z.number().int(), windowStart: z.number().int(), windowMinutes: z.number().int(),
  keepDaily: z.number().int(), keepWeekly: z.number().int(), keepMonthly: z.number().int(), enabled: z.boolean(),
});

export const scheduleOut = (s: BackupSchedule): z.infer<typeof ScheduleOutput> => {
  const { createdAt: _c, updatedAt: _u, ...rest } = s;
  return rest;
};
