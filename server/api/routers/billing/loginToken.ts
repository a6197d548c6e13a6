import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { issueLoginToken } from '@/server/services/billing';
import { keyOf } from './schemas';

/** POST /api/v1/customers/{externalId}/login-token: one-time portal login link, valid 5 minutes (scope customers:write). */
export const loginToken = apiKeyProcedure('customers:write')
  .meta({ openapi: { method: 'POST', path: '/customers/{externalId}/login-token', tags: ['customers'], protect: true, errorResponses: { 422: 'The customer account is disabled' }, summary: 'One-time portal login link for a customer' } })
  .input(z.object({ externalId: z.string().min(1).max(200) }))
  .output(z.object({ url: z.string().describe('Relative URL; opening it once signs the customer in and redirects to /portal'), expiresAt: z.string() }))
  .mutation(async ({ ctx, input }) => {
    const r = await issueLoginToken(ctx.prisma, input.externalId, keyOf(ctx).id);
    if (ctx.audit) ctx.audit.target = { type: 'user', id: r.customerId };
    return { url: r.url, expiresAt: r.expiresAt.toISOString() };
  });
