import { z } from 'zod';
import { customerProcedure } from '@/server/api/trpc';
import { listMyVes } from '@/server/services/portal';
import { PortalVeOutput, toPortalVe } from './schemas';

/** The signed-in user's own VEs (owner-scoped on the server), searchable and paged. */
export const myVes = customerProcedure
  .input(z.object({ q: z.string().trim().max(200).optional(), page: z.number().int().min(1).max(10_000).default(1), pageSize: z.number().int().min(1).max(100).default(50) }))
  .output(z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(PortalVeOutput) }))
  .query(async ({ ctx, input }) => {
    const r = await listMyVes(ctx.prisma, ctx.user, input);
    return { ...r, items: r.items.map(toPortalVe) };
  });
