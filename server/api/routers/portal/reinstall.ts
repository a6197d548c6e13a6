import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { requestReinstall, RootPassword } from '@/server/services/ves';
import { TaskRefOutput, VeIdInput } from './schemas';

/** Reinstalls one of the user's own VEs from a template its plan allows (all data on it is lost). */
export const reinstall = customerProcedure
  .input(VeIdInput.extend({ templateId: z.string().min(1).max(64), password: RootPassword.optional() }))
  .output(TaskRefOutput)
  .mutation(({ ctx, input }) =>
    requestReinstall(ctx.prisma, { role: 'customer', userId: ctx.user.id }, input.id, { templateId: input.templateId, password: input.password }),
  );
