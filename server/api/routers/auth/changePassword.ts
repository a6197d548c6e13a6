import { z } from 'zod';
import { authedProcedure } from '@/server/api/trpc';
import { changeOwnPassword } from '@/server/services/auth/changePassword';
import { MIN_PASSWORD_LENGTH } from '@/server/services/auth/users';

/** Changes the caller's own password (the current one required); every other session of theirs ends. */
export const changePassword = authedProcedure
  .input(z.object({ currentPassword: z.string().min(1).max(256), newPassword: z.string().min(MIN_PASSWORD_LENGTH).max(256) }))
  .output(z.object({ otherSessionsEnded: z.number().int() }))
  .mutation(async ({ ctx, input }) => ({ otherSessionsEnded: await changeOwnPassword(ctx.prisma, ctx.user.id, ctx.session.id, input) }));
