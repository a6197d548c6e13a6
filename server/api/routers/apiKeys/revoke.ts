import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { revokeApiKey } from '@/server/services/auth/apiKeys';
import { ApiKeyOutput, toApiKeyOutput } from './schemas';

export const RevokeApiKeyInput = z.object({ id: z.string().min(1).max(100) });

/** Revokes a key; requests with it get 401 from then on (admin). */
export const revoke = adminProcedure
  .input(RevokeApiKeyInput)
  .output(ApiKeyOutput)
  .mutation(async ({ ctx, input }) => toApiKeyOutput(await revokeApiKey(ctx.prisma, input.id)));
