import { adminProcedure } from '@/server/api/trpc';
import { requestRemoveVeSshKey } from '@/server/services/ves/sshKeys';
import { RemoveSshKeyFields, SshKeyTaskOutput } from '@/server/services/ves/sshKeySchemas';
import { VeIdInput } from './actionSchemas';

/** Removes an SSH key (admin): its line leaves /root/.ssh/authorized_keys; other lines stay. */
export const removeSshKey = adminProcedure
  .input(VeIdInput.extend(RemoveSshKeyFields.shape))
  .output(SshKeyTaskOutput)
  .mutation(({ ctx, input }) => requestRemoveVeSshKey(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.keyId));
