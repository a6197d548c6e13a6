import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listVeSshKeys } from '@/server/services/ves/sshKeys';
import { SshKeyOutput } from '@/server/services/ves/sshKeySchemas';
import { VeIdInput } from './actionSchemas';

/** The SSH keys the panel keeps in the VE's /root/.ssh/authorized_keys (admin). */
export const sshKeys = adminProcedure
  .input(VeIdInput)
  .output(z.array(SshKeyOutput))
  .query(({ ctx, input }) => listVeSshKeys(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id));
