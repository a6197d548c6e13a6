import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { listVeSshKeys } from '@/server/services/ves/sshKeys';
import { SshKeyOutput } from '@/server/services/ves/sshKeySchemas';
import { VeIdInput } from './schemas';

/** The SSH keys the panel keeps in the VE's /root/.ssh/authorized_keys of one of the user's own VEs. */
export const sshKeys = customerProcedure
  .input(VeIdInput)
  .output(z.array(SshKeyOutput))
  .query(({ ctx, input }) => listVeSshKeys(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.id));
