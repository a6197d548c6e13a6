import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { deleteCustomer as remove } from '@/server/services/billing';

/** DELETE /api/v1/customers/{externalId} (scope customers:write): delete a customer who owns no VE. */
export const deleteCustomer = apiKeyProcedure('customers:write')
  .meta({
    openapi: {
      method: 'DELETE', path: '/customers/{externalId}', tags: ['customers'], protect: true, summary: 'Delete a customer (refused while they own VEs)',
      description: 'Their sessions and login links go with them. While they own any VE the answer is 409 and its message names the VEs (CTID, host name, service id): terminate those first.',
      errorResponses: { 404: 'No customer with this external id', 409: 'The customer still owns VEs (named in the message)' },
    },
  })
  .input(z.object({ externalId: z.string().min(1).max(200) }))
  .output(z.object({ id: z.string(), externalId: z.string(), deleted: z.literal(true) }))
  .mutation(async ({ ctx, input }) => {
    const r = await remove(ctx.prisma, input.externalId);
    if (ctx.audit) ctx.audit.target = { type: 'user', id: r.id };
    return r;
  });
