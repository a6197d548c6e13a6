import { adminProcedure } from '@/server/api/trpc';
import { createWebhook, CreateWebhookInput } from '@/server/services/webhooks';
import { WebhookWithSecret } from './schemas';

/** New webhook; the answer carries its signing secret, once. */
export const create = adminProcedure
  .input(CreateWebhookInput)
  .output(WebhookWithSecret)
  .mutation(({ ctx, input }) => createWebhook(ctx.prisma, ctx.user.id, input));
