import { apiKeyProcedure } from '@/server/api/trpc';
import { deleteWebhook } from '@/server/services/webhooks';
import { auditWebhook, WebhookIdInput } from './schemas';

/** DELETE /api/v1/webhooks/{id} (scope webhooks:write): removes the endpoint and its delivery log. */
export const webhookDelete = apiKeyProcedure('webhooks:write')
  .meta({ openapi: { method: 'DELETE', path: '/webhooks/{id}', tags: ['webhooks'], protect: true, summary: 'Delete a webhook endpoint (and its delivery log)', errorResponses: { 404: 'No webhook with this id' } } })
  .input(WebhookIdInput)
  .output(WebhookIdInput)
  .mutation(({ ctx, input }) => {
    auditWebhook(ctx, input.id);
    return deleteWebhook(ctx.prisma, input.id);
  });
