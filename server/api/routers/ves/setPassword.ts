import { adminProcedure } from '@/server/api/trpc';
import { requestSetRootPassword, RootPassword } from '@/server/services/ves';
import { TaskRefOutput, VeIdInput } from './actionSchemas';

/** Sets the VE's root password (admin); it is hashed before it is queued and never stored in clear. */
export const setPassword = adminProcedure
  .input(VeIdInput.extend({ password: RootPassword }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) => requestSetRootPassword(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.password));
