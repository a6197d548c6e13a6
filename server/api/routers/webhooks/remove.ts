import { adminProcedure } from '@/server/api/trpc';
import { deleteWebhook } from '@/server/services/webhooks';
import { WebhookIdInput } from './schemas';

/** Deletes a webhook and its delivery log. */
export const remove = adminProcedure
  .input(WebhookIdInput)
  .output(WebhookIdInput)
  .mutation(({ ctx, input }) => deleteWebhook(ctx.prisma, input.id));
