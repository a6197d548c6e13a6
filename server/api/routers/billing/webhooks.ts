import { z } from 'zod';
import { apiKeyProcedure } from '@/server/api/trpc';
import { listWebhooks, WEBHOOK_EVENTS } from '@/server/services/webhooks';
import { BillingWebhook, webhookOut } from './schemas';

/** GET /api/v1/webhooks (scope webhooks:read): every webhook endpoint (never its secret) and the events one can subscribe to. */
export const webhooks = apiKeyProcedure('webhooks:read')
  .meta({ openapi: { method: 'GET', path: '/webhooks', tags: ['webhooks'], protect: true, summary: 'Webhook endpoints and the event catalogue' } })
  .input(z.object({}))
  .output(z.object({ items: z.array(BillingWebhook), events: z.array(z.enum(WEBHOOK_EVENTS)) }))
  .query(async ({ ctx }) => ({ items: (await listWebhooks(ctx.prisma)).map(webhookOut), events: [...WEBHOOK_EVENTS] }));
