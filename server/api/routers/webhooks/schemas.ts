import { z } from 'zod';
import { WEBHOOK_EVENTS } from '@/server/services/webhooks';

export const WebhookOutput = z.object({
  id: z.string(), url: z.string(), events: z.array(z.string()), enabled: z.boolean(), description: z.string().nullable(), createdAt: z.date(), updatedAt: z.date(),
});
export const WebhookWithSecret = z.object({ webhook: WebhookOutput, secret: z.string().nullable().describe('Signing secret: shown only here') });
export const WebhookIdInput = z.object({ id: z.string().min(1).max(64) });
export const EventName = z.enum(WEBHOOK_EVENTS);
