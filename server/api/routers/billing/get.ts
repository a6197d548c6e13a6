import { apiKeyProcedure } from '@/server/api/trpc';
import { getBillingVe } from '@/server/services/billing';
import { BillingVe, VeIdInput } from './schemas';

/** GET /api/v1/ves/{id}: one VE with addresses, limits, overrides and suspension (scope ves:read). */
export const get = apiKeyProcedure('ves:read')
  .meta({ openapi: { method: 'GET', path: '/ves/{id}', tags: ['ves'], protect: true, summary: 'Get a VE' } })
  .input(VeIdInput)
  .output(BillingVe)
  .query(({ ctx, input }) => getBillingVe(ctx.prisma, input.id));
