import { z } from 'zod';
import { adminProcedure } from '@/server/api/trpc';
import { deleteCustomerWhere } from '@/server/services/customers/delete';
import { CustomerIdInput } from './schemas';

/** Deletes a customer who owns no VE (CONFLICT naming the VEs otherwise); their sessions go with them. */
export const remove = adminProcedure
  .input(CustomerIdInput)
  .output(z.object({ id: z.string() }))
  .mutation(async ({ ctx, input }) => ({ id: (await deleteCustomerWhere(ctx.prisma, { id: input.id }, input.id)).id }));
