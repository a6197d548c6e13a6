import { apiKeyProcedure } from '@/server/api/trpc';
import { veUsage } from '@/server/services/usage/billing';
import { VeId } from './schemas';
import { BillingUsage, UsagePeriodInput } from './usageSchemas';

/** GET /api/v1/ves/{id}/usage: disk, traffic, CPU time and memory of one VE for a period (scope ves:read). */
export const usage = apiKeyProcedure('ves:read')
  .meta({
    openapi: {
      method: 'GET', path: '/ves/{id}/usage', tags: ['usage'], protect: true, summary: 'Usage of a VE for a billing period',
      description: 'Without from/to: the VE\'s current billing period (anchor day from billing, else the plan, else the day the VE was created). Traffic counts both directions at the VE\'s interface.',
    },
  })
  .input(UsagePeriodInput.extend({ id: VeId }))
  .output(BillingUsage)
  .query(({ ctx, input }) => veUsage(ctx.prisma, input.id, input.from, input.to));
