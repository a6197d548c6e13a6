import { customerProcedure } from '@/server/api/trpc';
import { requestRemoveVeSshKey } from '@/server/services/ves/sshKeys';
import { RemoveSshKeyFields, SshKeyTaskOutput } from '@/server/services/ves/sshKeySchemas';
import { VeIdInput } from './schemas';

/** Removes an SSH key of one of the user's own VEs: its line leaves /root/.ssh/authorized_keys; other lines stay. */
export const removeSshKey = customerProcedure
  .input(VeIdInput.extend(RemoveSshKeyFields.shape))
  .output(SshKeyTaskOutput)
  .mutation(({ ctx, input }) => requestRemoveVeSshKey(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.id, input.keyId));
