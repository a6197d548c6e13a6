import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { redeliver as redeliverDelivery } from '@/server/services/webhooks/redeliver';

/** Sends a logged delivery's event again as a new delivery (admin); the delivery log shows both. */
export const redeliver = adminProcedure
  .input(z.object({ id: z.string().min(1).max(64) }))
  .output(z.object({ id: z.string(), webhookId: z.string(), event: z.string() }))
  .mutation(({ ctx, input }) => redeliverDelivery(ctx.prisma, input.id));
