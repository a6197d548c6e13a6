import { adminProcedure } from '@/server/api/trpc';
import { ScheduleInput, upsertSchedule } from '@/server/services/backups';
import { ScheduleOutput, scheduleOut } from './scheduleSchemas';
import { auditTarget } from './schemas';

/** Sets the backup schedule of a plan, or of one VE (overrides its plan's): window, frequency, retention (admin). */
export const scheduleSet = adminProcedure
  .input(ScheduleInput)
  .output(ScheduleOutput)
  .mutation(async ({ ctx, input }) => {
    const s = await upsertSchedule(ctx.prisma, input);
    auditTarget(ctx, 'backupSchedule', s.id);
    return scheduleOut(s);
  });
