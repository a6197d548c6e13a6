import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listWebhooks, WEBHOOK_EVENTS } from '@/server/services/webhooks';
import { WebhookOutput } from './schemas';

/** Every webhook (secrets are never listed) and the events one can subscribe to. */
export const list = adminProcedure
  .input(z.object({}).optional())
  .output(z.object({ items: z.array(WebhookOutput), events: z.array(z.string()) }))
  .query(async ({ ctx }) => ({ items: await listWebhooks(ctx.prisma), events: [...WEBHOOK_EVENTS] }));
