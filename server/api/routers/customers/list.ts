import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { listCustomers, ListCustomersInput } from '@/server/services/customers';
import { CustomerOutput, toCustomerOutput } from './schemas';

/** Customers, newest first, searchable by e-mail, name or external id (admin). */
export const list = adminProcedure
  .input(ListCustomersInput)
  .output(z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), items: z.array(CustomerOutput) }))
  .query(async ({ ctx, input }) => {
    const r = await listCustomers(ctx.prisma, input);
    return { ...r, items: r.items.map(toCustomerOutput) };
  });
