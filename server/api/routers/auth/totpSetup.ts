import { z } from 'zod';
import { authedProcedure } from '@/server/api/trpc';
import { setupTotp } from '@/server/services/auth/twoFactor';

export const TotpSetupOutput = z.object({ secret: z.string(), uri: z.string() });

/** Generates a (not yet active) TOTP secret for the signed-in user; shown once. */
export const totpSetup = authedProcedure.output(TotpSetupOutput).mutation(({ ctx }) => setupTotp(ctx.prisma, ctx.user.id));
