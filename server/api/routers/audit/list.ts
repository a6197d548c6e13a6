import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listAudit, ListAuditInput } from '@/server/services/audit';

export const AuditRow = z.object({
  id: z.string(), createdAt: z.date(), actorType: z.enum(['user', 'apiKey', 'system']), actorId: z.string().nullable(), actorLabel: z.string().nullable(),
  action: z.string(), targetType: z.string().nullable(), targetId: z.string().nullable(), ip: z.string().nullable(), userAgent: z.string().nullable(), targetLabel: z.string().nullable().describe('VE "ctid hostname on node" or node name, when it still exists'),
  outcome: z.enum(['success', 'failure', 'denied']), details: z.unknown(),
});

/** The audit log with filters (actor, action, target, outcome, date range), newest first (admin). */
export const list = adminProcedure
  .input(ListAuditInput)
  .output(z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(AuditRow) }))
  .query(({ ctx, input }) => listAudit(ctx.prisma, input));
