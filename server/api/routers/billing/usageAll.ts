import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { allUsage } from '@/server/services/usage/billing';
import { queryInt } from './schemas';
import { BillingUsage, UsagePeriodInput } from './usageSchemas';

/** GET /api/v1/usage: the same for every VE, in pages (scope ves:read). */
export const usageAll = apiKeyProcedure('ves:read')
  .meta({
    openapi: {
      method: 'GET', path: '/usage', tags: ['usage'], protect: true, summary: 'Usage of every VE for a billing period, in pages',
      description: 'Pages in VE id order: pass nextCursor back as cursor until it is null. Without from/to each VE reports its own current billing period.',
    },
  })
  .input(UsagePeriodInput.extend({ limit: queryInt(1, 5000).default(1000), cursor: z.string().min(1).max(200).optional() }))
  .output(z.object({ items: z.array(BillingUsage), nextCursor: z.string().nullable() }))
  .query(({ ctx, input }) => allUsage(ctx.prisma, input));
