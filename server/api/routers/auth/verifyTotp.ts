import { z } from 'zod';
import { publicProcedure } from '@/server/api/trpc';
import { setSessionCookie } from '@/server/api/context';
import { completeTotpLogin } from '@/server/services/auth/login';
import { TotpCode } from './schemas';

export const VerifyTotpInput = z.object({ ticket: z.string().min(1).max(200), code: TotpCode });
export const VerifyTotpOutput = z.object({ ok: z.literal(true), usedBackupCode: z.boolean() });

/** Second step of a 2FA sign-in: ticket + TOTP (or backup) code -> session cookie. */
export const verifyTotp = publicProcedure
  .input(VerifyTotpInput)
  .output(VerifyTotpOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await completeTotpLogin(ctx.prisma, input, { ip: ctx.ip, userAgent: ctx.userAgent });
    setSessionCookie(ctx, r.token, r.expiresAt);
    return { ok: true as const, usedBackupCode: r.usedBackupCode };
  });
