import { customerProcedure } from '@/server/api/trpc';
import { requestSetRootPassword, RootPassword } from '@/server/services/ves';
import { TaskRefOutput, VeIdInput } from './schemas';

/** Sets the root password of one of the user's own VEs (hashed before it is queued). */
export const setPassword = customerProcedure
  .input(VeIdInput.extend({ password: RootPassword }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) => requestSetRootPassword(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.id, input.password));
