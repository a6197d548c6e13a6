import { adminProcedure } from '@/server/api/trpc';
import { Hostname, requestSetHostname } from '@/server/services/ves';
import { TaskRefOutput, VeIdInput } from './actionSchemas';

/** Renames a VE (admin); the node applies it live. */
export const setHostname = adminProcedure
  .input(VeIdInput.extend({ hostname: Hostname }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) => requestSetHostname(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.hostname));
