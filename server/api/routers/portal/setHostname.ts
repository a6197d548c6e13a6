import { customerProcedure } from '@/server/api/trpc';
import { Hostname, requestSetHostname } from '@/server/services/ves';
import { TaskRefOutput, VeIdInput } from './schemas';

/** Renames one of the user's own VEs. */
export const setHostname = customerProcedure
  .input(VeIdInput.extend({ hostname: Hostname }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) => requestSetHostname(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.id, input.hostname));
