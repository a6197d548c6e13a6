import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listDeliveries, ListDeliveriesInput } from '@/server/services/webhooks';

/** The delivery log: event, payload, attempts, last HTTP status or error, next attempt, delivered at. */
export const deliveries = adminProcedure
  .input(ListDeliveriesInput)
  .output(z.object({
    total: z.number().int(), page: z.number().int(), pageSize: z.number().int(),
    items: z.array(z.object({
      id: z.string(), webhookId: z.string(), event: z.string(), payload: z.unknown(), status: z.enum(['pending', 'succeeded', 'failed']), attempts: z.number().int(),
      nextAttemptAt: z.date().nullable(), responseStatus: z.number().int().nullable(), responseBody: z.string().nullable(), error: z.string().nullable(), createdAt: z.date(), deliveredAt: z.date().nullable(),
    })),
  }))
  .query(({ ctx, input }) => listDeliveries(ctx.prisma, input));
