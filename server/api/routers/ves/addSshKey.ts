import { adminProcedure } from '@/server/api/trpc';
import { requestAddVeSshKey } from '@/server/services/ves/sshKeys';
import { AddSshKeyFields, SshKeyTaskOutput } from '@/server/services/ves/sshKeySchemas';
import { VeIdInput } from './actionSchemas';

/** Adds an SSH key for root (admin): written into the VE live (or through its mount when stopped), kept across reinstall. */
export const addSshKey = adminProcedure
  .input(VeIdInput.extend(AddSshKeyFields.shape))
  .output(SshKeyTaskOutput)
  .mutation(({ ctx, input }) => requestAddVeSshKey(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, input.publicKey));
