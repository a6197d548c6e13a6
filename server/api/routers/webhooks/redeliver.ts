import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { redeliver as redeliverDelivery } from '@/server/services/webhooks/redeliver';

/** Sends a logged delivery's event again as a new delivery (admin); the delivery log shows both. */
export const redeliver = adminProcedure
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(z.object({ id: z.string(), webhookId: z.string(), event: z.string() }))
  .mutation(async ({ ctx, input }) => {
    const r = await redeliverDelivery(ctx.prisma, input.id);
    // The audit row names the webhook; the input's id is a delivery, not a webhook.
    if (ctx.audit) Object.assign(ctx.audit, { target: { type: 'webhook', id: r.webhookId }, details: { deliveryId: input.id, newDeliveryId: r.id, event: r.event } });
    return r;
  });
