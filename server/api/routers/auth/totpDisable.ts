import { z } from 'zod';
import { authedProcedure } from '@/server/api/trpc';
import { disableTotp } from '@/server/services/auth/twoFactor';
import { TotpCode } from './schemas';

export const TotpDisableInput = z.object({ code: TotpCode, password: z.string().min(1).max(1024).optional() });
export const TotpDisableOutput = z.object({ ok: z.literal(true) });

/** Turns TOTP off; needs a current code (or backup code), and the password if one is sent. */
export const totpDisable = authedProcedure
  .input(TotpDisableInput)
  .output(TotpDisableOutput)
  .mutation(async ({ ctx, input }) => {
    await disableTotp(ctx.prisma, ctx.user.id, input, ctx.ip);
    return { ok: true as const };
  });
