import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { createApiKey } from '@/server/services/auth/apiKeys';
import { ApiKeyOutput, Scope, toApiKeyOutput } from './schemas';

export const CreateApiKeyInput = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(Scope).min(1, 'Pick at least one scope'),
  expiresAt: z.iso.datetime().optional(),
});
export const CreateApiKeyOutput = ApiKeyOutput.extend({ key: z.string().describe('The full key; shown only in this response') });

/** Creates a billing key and returns it in full exactly once (admin). */
export const create = adminProcedure
  .input(CreateApiKeyInput)
  .output(CreateApiKeyOutput)
  .mutation(async ({ ctx, input }) => {
    const k = await createApiKey(ctx.prisma, {
      name: input.name,
      scopes: input.scopes,
      createdById: ctx.user.id,
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : undefined,
    });
    return { ...toApiKeyOutput(k), key: k.token };
  });
