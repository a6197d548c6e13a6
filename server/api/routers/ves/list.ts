import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listVes, ListVesInput } from '@/server/services/ves';
import { toVeRow, VeRowOutput } from './schemas';

/** The admin VE table: search (CTID, host name, IP, customer), filters, sort, pagination on the server. */
export const list = adminProcedure
  .input(ListVesInput)
  .output(z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(VeRowOutput) }))
  .query(async ({ ctx, input }) => {
    const r = await listVes(ctx.prisma, input);
    return { ...r, items: r.items.map(toVeRow) };
  });
