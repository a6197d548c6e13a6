import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { createWebhook, CreateWebhookInput } from '@/server/services/webhooks';
import { auditWebhook, BillingWebhook, webhookOut } from './schemas';

/** POST /api/v1/webhooks (scope webhooks:write): a new endpoint; the answer carries its signing secret, once. */
export const webhookCreate = apiKeyProcedure('webhooks:write')
  .meta({
    openapi: {
      method: 'POST', path: '/webhooks', tags: ['webhooks'], protect: true, summary: 'Add a webhook endpoint (returns its signing secret once)',
      description: 'Deliveries are POSTs of `{id, event, createdAt, data}` signed in the header `X-Vzpanel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`. Keep the secret: it is shown only here and by rotate-secret.',
    },
  })
  .input(CreateWebhookInput)
  .output(z.object({ webhook: BillingWebhook, secret: z.string().describe('Signing secret: shown only in this answer') }))
  .mutation(async ({ ctx, input }) => {
    const r = await createWebhook(ctx.prisma, null, input);
    auditWebhook(ctx, r.webhook.id);
    return { webhook: webhookOut(r.webhook), secret: r.secret };
  });
