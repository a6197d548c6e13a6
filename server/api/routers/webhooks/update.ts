import { adminProcedure } from '@/server/api/trpc';
import { updateWebhook, UpdateWebhookInput } from '@/server/services/webhooks';
import { WebhookIdInput, WebhookWithSecret } from './schemas';

/** Change URL, events, description or enabled; rotateSecret returns a new secret once. */
export const update = adminProcedure
  .input(WebhookIdInput.merge(UpdateWebhookInput))
  .output(WebhookWithSecret)
  .mutation(({ ctx, input }) => {
    const { id, ...patch } = input;
    return updateWebhook(ctx.prisma, id, patch);
  });
