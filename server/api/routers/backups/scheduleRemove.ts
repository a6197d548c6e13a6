import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { deleteSchedule } from '@/server/services/backups';
import { auditTarget, IdInput } from './schemas';

/** Removes a schedule; the plan's VEs are no longer backed up automatically (admin). */
export const scheduleRemove = adminProcedure
  .input(IdInput)
  .output(z.object({ id: z.string() }))
  .mutation(({ ctx, input }) => {
    auditTarget(ctx, 'backupSchedule', input.id);
    return deleteSchedule(ctx.prisma, input.id);
  });
