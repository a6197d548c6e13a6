import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { CUSTOMER_POWER_ACTIONS, requestPowerAction } from '@/server/services/ves';
import { TaskRefOutput, VeIdInput } from './schemas';

/** Start, stop or restart one of the user's own VEs; refused while its node is in maintenance. */
export const power = customerProcedure
  .input(VeIdInput.extend({ action: z.enum(CUSTOMER_POWER_ACTIONS) }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) => requestPowerAction(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.id, input.action));
