import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { updateWebhook } from '@/server/services/webhooks';
import { auditWebhook, BillingWebhook, webhookOut, WebhookIdInput } from './schemas';

/** POST /api/v1/webhooks/{id}/rotate-secret (scope webhooks:write): a new signing secret, returned once; the old one stops signing at once. */
export const webhookRotate = apiKeyProcedure('webhooks:write')
  .meta({ openapi: { method: 'POST', path: '/webhooks/{id}/rotate-secret', tags: ['webhooks'], protect: true, summary: 'New signing secret (returned once)', errorResponses: { 404: 'No webhook with this id' } } })
  .input(WebhookIdInput)
  .output(z.object({ webhook: BillingWebhook, secret: z.string().describe('The new signing secret: shown only in this answer') }))
  .mutation(async ({ ctx, input }) => {
    auditWebhook(ctx, input.id);
    const r = await updateWebhook(ctx.prisma, input.id, { rotateSecret: true });
    return { webhook: webhookOut(r.webhook), secret: r.secret! };
  });
