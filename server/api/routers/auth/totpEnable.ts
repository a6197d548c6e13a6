import { z } from 'zod';
import { authedProcedure } from '@/server/api/trpc';
import { enableTotp } from '@/server/services/auth/twoFactor';
import { TotpCode } from './schemas';

export const TotpEnableInput = z.object({ code: TotpCode });
export const TotpEnableOutput = z.object({ backupCodes: z.array(z.string()) });

/** Turns TOTP on after a correct code; returns the backup codes once and signs out other sessions. */
export const totpEnable = authedProcedure
  .input(TotpEnableInput)
  .output(TotpEnableOutput)
  .mutation(({ ctx, input }) => enableTotp(ctx.prisma, ctx.user.id, input.code, ctx.session.id));
