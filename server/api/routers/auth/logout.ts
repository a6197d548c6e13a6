import { z } from 'zod';
import { publicProcedure } from '@/server/api/trpc';
import { setSessionCookie } from '@/server/api/context';
import { revokeSessionToken } from '@/server/services/auth/sessions';

export const LogoutOutput = z.object({ ok: z.literal(true) });

/** Ends the current session (deleted server-side) and clears the cookie; harmless when signed out. */
export const logout = publicProcedure.output(LogoutOutput).mutation(async ({ ctx }) => {
  if (ctx.sessionToken) await revokeSessionToken(ctx.prisma, ctx.sessionToken);
  setSessionCookie(ctx, null);
  return { ok: true as const };
});
