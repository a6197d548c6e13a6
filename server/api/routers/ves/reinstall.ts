import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { requestReinstall, RootPassword } from '@/server/services/ves';
import { TaskRefOutput, VeIdInput } from './actionSchemas';

/** Reinstalls a VE from a template (admin): same CTID, addresses and limits; all data on it is lost. */
export const reinstall = adminProcedure
  .input(VeIdInput.extend({ templateId: z.string().min(1).max(64), password: RootPassword.optional() }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) => requestReinstall(ctx.prisma, { role: 'admin', userId: ctx.user.id }, input.id, { templateId: input.templateId, password: input.password }));
