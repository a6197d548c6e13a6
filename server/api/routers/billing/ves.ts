import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { listVesForBilling } from '@/server/services/catalog';
import { sharedRead } from '@/server/services/catalog/shared-read';
import { queryInt } from './schemas';

export const BillingVesInput = z.object({
  externalId: z.string().min(1).max(200).optional().describe('Only the VE with this billing service id'),
  limit: queryInt(1, 1000).default(1000),
  offset: queryInt(0, 1_000_000_000).default(0),
});

export const BillingVesOutput = z.array(
  z.object({
    id: z.string(),
    ctid: z.number().int(),
    hostname: z.string(),
    state: z.string(),
    externalId: z.string().nullable().describe('Service id in the billing system'),
    node: z.string(),
    plan: z.string().nullable(),
    template: z.string(),
    ownerExternalId: z.string().nullable(),
    ownerEmail: z.string().nullable(),
    ipAddresses: z.array(z.string()),
    createdAt: z.string(),
  }),
);

/** GET /api/v1/ves: every VE with its billing ids (scope ves:read). */
export const ves = apiKeyProcedure('ves:read')
  .meta({ openapi: { method: 'GET', path: '/ves', tags: ['ves'], protect: true, summary: 'VEs with their external ids' } })
  .input(BillingVesInput)
  .output(BillingVesOutput)
  .query(async ({ ctx, input }) => {
    const filter = { externalId: input.externalId, take: input.limit, skip: input.offset };
    // Many billing clients poll the same page: identical reads share one query (never an older one).
    const rows = await sharedRead(ctx.prisma, `billing.ves ${JSON.stringify(filter)}`, () => listVesForBilling(ctx.prisma, filter));
    return rows.map((v) => ({ ...v, createdAt: v.createdAt.toISOString() }));
  });
