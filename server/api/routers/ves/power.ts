import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { ADMIN_POWER_ACTIONS, requestPowerAction } from '@/server/services/ves';
import { TaskRefOutput, VeIdInput } from './actionSchemas';

/** Start, stop, restart, kill (hard stop), suspend or resume a VE (admin); returns the task at once. */
export const power = adminProcedure
  .input(VeIdInput.extend({ action: z.enum(ADMIN_POWER_ACTIONS) }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) => requestPowerAction(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.action));
