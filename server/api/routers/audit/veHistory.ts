import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { veHistoryForOwner } from '@/server/services/audit';

/** What was done to one of the caller's own VEs (owner-scoped: another customer's VE is NOT_FOUND). */
export const veHistory = customerProcedure
  .input(z.object({ veId: z.string().min(1).max(64), page: z.number().int().min(1).max(100_000).default(1), pageSize: z.number().int().min(1).max(200).default(50) }))
  .output(z.object({
    total: z.number().int(), page: z.number().int(), pageSize: z.number().int(),
    items: z.array(z.object({ id: z.string(), createdAt: z.date(), action: z.string(), outcome: z.enum(['success', 'failure', 'denied']), by: z.string(), ip: z.string().nullable() })),
  }))
  .query(({ ctx, input }) => veHistoryForOwner(ctx.prisma, ctx.user, input.veId, input.page, input.pageSize));
