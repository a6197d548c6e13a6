import { customerProcedure } from '@/server/api/trpc';
import { requestAddVeSshKey } from '@/server/services/ves/sshKeys';
import { AddSshKeyFields, SshKeyTaskOutput } from '@/server/services/ves/sshKeySchemas';
import { VeIdInput } from './schemas';

/** Adds an SSH key for root of one of the user's own VEs: written into the VE live (or through its mount when stopped), kept across reinstall. */
export const addSshKey = customerProcedure
  .input(VeIdInput.extend(AddSshKeyFields.shape))
  .output(SshKeyTaskOutput)
  .mutation(({ ctx, input }) => requestAddVeSshKey(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.id, input.publicKey));
