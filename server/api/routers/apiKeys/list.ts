import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listApiKeys } from '@/server/services/auth/apiKeys';
import { ApiKeyOutput, toApiKeyOutput } from './schemas';

/** Every billing API key, newest first, without secrets (admin). */
export const list = adminProcedure.output(z.array(ApiKeyOutput)).query(async ({ ctx }) => (await listApiKeys(ctx.prisma)).map(toApiKeyOutput));
