import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { UpsertCustomerInput, upsertCustomer as upsert } from '@/server/services/billing';

export const CustomerOutput = z.object({
  customer: z.object({ id: z.string(), email: z.string(), name: z.string(), externalId: z.string().nullable(), disabled: z.boolean(), createdAt: z.string() }),
  created: z.boolean().describe('true when this call created the customer'),
});

/** PUT /api/v1/customers/{externalId}: create or update the customer with this billing client id (scope customers:write). */
export const upsertCustomer = apiKeyProcedure('customers:write')
  .meta({ openapi: { method: 'PUT', path: '/customers/{externalId}', tags: ['customers'], protect: true, errorResponses: { 409: 'The external id belongs to a non-customer account, or another user has the e-mail' }, summary: 'Create or update a customer by billing client id' } })
  .input(UpsertCustomerInput.extend({ externalId: z.string().min(1).max(200) }))
  .output(CustomerOutput)
  .mutation(async ({ ctx, input }) => {
    const { externalId, ...rest } = input;
    const r = await upsert(ctx.prisma, externalId, rest);
    if (ctx.audit) ctx.audit.target = { type: 'user', id: r.customer.id };
    return { created: r.created, customer: { ...r.customer, createdAt: r.customer.createdAt.toISOString() } };
  });
