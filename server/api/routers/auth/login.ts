import { z } from 'zod';
import { publicProcedure } from '@/server/api/trpc';
import { setSessionCookie } from '@/server/api/context';
import { loginWithPassword } from '@/server/services/auth/login';
import { revokeSessionToken } from '@/server/services/auth/sessions';

export const LoginInput = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(1024),
});

export const LoginOutput = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({ twoFactorRequired: z.literal(true), ticket: z.string() }),
]);

/** Password step. Sets the `vz_session` cookie, or returns a ticket for the TOTP step. */
export const login = publicProcedure
  .input(LoginInput)
  .output(LoginOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await loginWithPassword(ctx.prisma, input, { ip: ctx.ip, userAgent: ctx.userAgent });
    // A new sign-in replaces whatever session this browser had (no session fixation).
    if (ctx.sessionToken) await revokeSessionToken(ctx.prisma, ctx.sessionToken);
    if (r.kind === 'totp') return { twoFactorRequired: true as const, ticket: r.ticket };
    setSessionCookie(ctx, r.token, r.expiresAt);
    return { ok: true as const };
  });
