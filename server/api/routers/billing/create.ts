import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { BillingCreateInput, billingCreateVe, parseIdempotencyKey, requestFingerprint } from '@/server/services/billing';
import { auditVe, keyOf } from './schemas';

export const CreateOutput = z.object({
  taskId: z.string(),
  ve: z.object({ id: z.string(), ctid: z.number().int(), hostname: z.string(), state: z.string(), node: z.string(), externalId: z.string().nullable() }),
  ipAddresses: z.array(z.string()),
});

/**
 * POST /api/v1/ves: create a VE (scope ves:write). Send an `Idempotency-Key` header: a retry with the
 * same key and body returns the first answer and never makes a second VE; other parameters -> 422.
 */
export const create = apiKeyProcedure('ves:write')
  .meta({
    openapi: {
      method: 'POST', path: '/ves', tags: ['ves'], protect: true, errorResponses: { 409: 'No capacity (node, addresses), the external id or an address is taken, or the same Idempotency-Key is still running', 422: 'Plan not offered, template disabled or not allowed by the plan, or the Idempotency-Key was used with other parameters' }, summary: 'Create a VE (asynchronous; Idempotency-Key header supported)',
      // Documentation only: the context reads the header (server/api/context.ts).
      requestHeaders: z.object({ 'Idempotency-Key': z.string().max(255).optional().describe('Retry-safe create: same key + same body = the first answer; other body = 422') }),
    },
  })
  .input(BillingCreateInput)
  .output(CreateOutput)
  .mutation(async ({ ctx, input }) => {
    const key = keyOf(ctx);
    const idem = parseIdempotencyKey(ctx.idempotencyKey);
    const fingerprint = idem ? requestFingerprint('POST /ves', input, idem, key.id) : '';
    const r = await billingCreateVe(ctx.prisma, key.id, input, { key: idem, fingerprint });
    auditVe(ctx, r.ve.id);
    if (ctx.audit && idem) ctx.audit.details = { idempotencyKey: idem };
    return r;
  });
