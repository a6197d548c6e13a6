import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listSchedules } from '@/server/services/backups';
import { ScheduleOutput, scheduleOut } from './scheduleSchemas';

/** Backup schedules of plans and VEs (admin). */
export const schedules = adminProcedure
  .output(z.array(ScheduleOutput))
  .query(async ({ ctx }) => (await listSchedules(ctx.prisma)).map(scheduleOut));
